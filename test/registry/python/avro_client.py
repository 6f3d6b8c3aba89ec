"""Drives confluent-kafka for Python against a registry, for test/registry/clients.test.ts.

usage: avro_client.py URL < commands.json, where commands.json is a list of
  {"op": "register", "subject": s, "schema": text}            -> {"id": n}
  {"op": "latest", "subject": s}                                -> {"id", "version", "schema"}
  {"op": "lookup", "subject": s, "schema": text}                -> {"id", "version"}
  {"op": "by_id", "id": n}                                      -> {"schema"}
  {"op": "compatible", "subject": s, "schema": text}            -> {"compatible": bool}
  {"op": "encode", "id": n, "record": {...}}                    -> {"hex": "..."}
  {"op": "decode", "hex": "..."}                                -> {"record": {...}}
  {"op": "set_compat", "subject": s, "level": l}                -> {"level": l}
  {"op": "register_error", "subject": s, "schema": text}        -> {"status", "error_code"}
Prints one JSON list of answers. The registry client is confluent_kafka.schema_registry's
SchemaRegistryClient; encoding uses confluent_kafka.avro's MessageSerializer (the Avro
serializer of confluent_kafka.schema_registry.avro needs fastavro, which Debian does not ship).
"""
import json
import sys

from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError


def main():
    url = sys.argv[1]
    client = SchemaRegistryClient({"url": url})
    legacy = CachedSchemaRegistryClient({"url": url})
    serializer = MessageSerializer(legacy)
    answers = []
    for command in json.load(sys.stdin):
        op = command["op"]
        if op == "register":
            answers.append({"id": client.register_schema(command["subject"], Schema(command["schema"], "AVRO"))})
        elif op == "register_error":
            try:
                client.register_schema(command["subject"], Schema(command["schema"], "AVRO"))
                answers.append({"status": 200})
            except SchemaRegistryError as error:
                answers.append({"status": error.http_status_code, "error_code": error.error_code})
        elif op == "latest":
            found = client.get_latest_version(command["subject"])
            answers.append({"id": found.schema_id, "version": found.version, "schema": found.schema.schema_str})
        elif op == "lookup":
            found = client.lookup_schema(command["subject"], Schema(command["schema"], "AVRO"))
            answers.append({"id": found.schema_id, "version": found.version})
        elif op == "by_id":
            answers.append({"schema": client.get_schema(command["id"]).schema_str})
        elif op == "compatible":
            answers.append({"compatible": client.test_compatibility(command["subject"], Schema(command["schema"], "AVRO"))})
        elif op == "set_compat":
            answers.append({"level": client.set_compatibility(command["subject"], command["level"])["compatibility"]})
        elif op == "encode":
            schema = legacy.get_by_id(command["id"])
            payload = serializer.encode_record_with_schema_id(command["id"], command["record"], True)
            answers.append({"hex": payload.hex(), "schema_name": schema.name})
        elif op == "decode":
            answers.append({"record": serializer.decode_message(bytes.fromhex(command["hex"]), True)})
        else:
            raise ValueError("unknown op " + op)
    print(json.dumps(answers))


if __name__ == "__main__":
    main()

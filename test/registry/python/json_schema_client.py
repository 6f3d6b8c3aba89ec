"""Drives confluent-kafka's JSON Schema serdes for test/interop/json-schema-serdes.test.ts.

usage: json_schema_client.py REGISTRY_URL BOOTSTRAP TOPIC < commands.json, commands being
  {"op": "encode", "order": {...}}          -> {"hex": "..."}
  {"op": "produce", "orders": [{...}, ...]} -> {"count": n}
  {"op": "consume", "count": n}             -> {"orders": [...]}
  {"op": "invalid", "order": {...}}         -> {"error": "..."} (the serializer refuses it)
Prints one JSON list of answers. JSONSerializer (1.7.0) registers the schema under TOPIC-value and
validates every value against it (python3-jsonschema); JSONDeserializer validates on the way back.
"""
import json
import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from serde_steps import consume_values, produce_values

SCHEMA = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "quantity": {"type": "integer", "minimum": 1},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["id", "quantity"],
})


def main():
    url, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]
    registry = SchemaRegistryClient({"url": url})
    serializer = JSONSerializer(SCHEMA, registry, lambda order, ctx: order)
    deserializer = JSONDeserializer(SCHEMA, lambda value, ctx: value)
    answers = []
    for command in json.load(sys.stdin):
        op = command["op"]
        if op == "encode":
            data = serializer(command["order"], SerializationContext(topic, MessageField.VALUE))
            answers.append({"hex": data.hex()})
        elif op == "invalid":
            try:
                serializer(command["order"], SerializationContext(topic, MessageField.VALUE))
                answers.append({"error": None})
            except Exception as error:  # the serializer's validation error
                answers.append({"error": str(error)})
        elif op == "produce":
            count = produce_values(bootstrap, topic, serializer, command["orders"])
            answers.append({"count": count})
        elif op == "consume":
            orders = consume_values(bootstrap, topic, "json-schema-interop", deserializer, command["count"])
            answers.append({"orders": orders})
        else:
            raise ValueError("unknown op " + op)
    print(json.dumps(answers))


if __name__ == "__main__":
    main()

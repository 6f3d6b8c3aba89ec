"""Drives confluent-kafka's Protobuf serdes for test/registry/protobuf-serialized.test.ts.

usage: protobuf_client.py REGISTRY_URL [BOOTSTRAP TOPIC] < commands.json, commands being
  {"op": "encode", "topic": t, "order": {...}}        -> {"hex": "..."}
  {"op": "decode", "topic": t, "hex": "..."}          -> {"order": {...}}
  {"op": "produce", "orders": [{...}, ...]}           -> {"count": n}   (needs BOOTSTRAP TOPIC)
  {"op": "consume", "count": n}                       -> {"orders": [...]}
Prints one JSON list of answers. The message class is built at run time from a
FileDescriptorProto (no protoc): package acme.orders, message Order {string id = 1;
int64 quantity = 2; Status status = 3; repeated string tags = 4; map<string, int32> counts = 5;
enum Status {NEW = 0; SHIPPED = 1;}}, then a second message Receipt, so that Order is at
message index [0]. ProtobufSerializer (1.7.0) registers the file as a base64 FileDescriptorProto.
"""
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from serde_steps import consume_values, produce_values

F = descriptor_pb2.FieldDescriptorProto


def order_class():
    file = descriptor_pb2.FileDescriptorProto(name="acme/orders.proto", package="acme.orders", syntax="proto3")
    order = file.message_type.add(name="Order")
    order.field.add(name="id", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    order.field.add(name="quantity", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    order.field.add(name="status", number=3, type=F.TYPE_ENUM, label=F.LABEL_OPTIONAL,
                    type_name=".acme.orders.Order.Status")
    order.field.add(name="tags", number=4, type=F.TYPE_STRING, label=F.LABEL_REPEATED)
    order.field.add(name="counts", number=5, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
                    type_name=".acme.orders.Order.CountsEntry")
    entry = order.nested_type.add(name="CountsEntry")
    entry.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    entry.field.add(name="value", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    entry.options.map_entry = True
    status = order.enum_type.add(name="Status")
    status.value.add(name="NEW", number=0)
    status.value.add(name="SHIPPED", number=1)
    receipt = file.message_type.add(name="Receipt")
    receipt.field.add(name="order_id", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName("acme.orders.Order"))


def main():
    url = sys.argv[1]
    Order = order_class()
    registry = SchemaRegistryClient({"url": url})
    serializer = ProtobufSerializer(Order, registry)
    deserializer = ProtobufDeserializer(Order)
    answers = []
    for command in json.load(sys.stdin):
        op = command["op"]
        if op == "encode":
            message = json_format.ParseDict(command["order"], Order())
            data = serializer(message, SerializationContext(command["topic"], MessageField.VALUE))
            answers.append({"hex": data.hex()})
        elif op == "decode":
            message = deserializer(bytes.fromhex(command["hex"]), SerializationContext(command["topic"], MessageField.VALUE))
            answers.append({"order": json_format.MessageToDict(message)})
        elif op == "produce":
            count = produce_values(sys.argv[2], sys.argv[3], serializer, command["orders"],
                                   lambda order: json_format.ParseDict(order, Order()))
            answers.append({"count": count})
        elif op == "consume":
            orders = consume_values(sys.argv[2], sys.argv[3], "protobuf-interop", deserializer, command["count"],
                                    json_format.MessageToDict)
            answers.append({"orders": orders})
        else:
            raise ValueError("unknown op " + op)
    print(json.dumps(answers))


if __name__ == "__main__":
    main()

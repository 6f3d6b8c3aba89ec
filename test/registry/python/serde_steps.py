"""The produce and consume steps the serde helpers share (json_schema_client.py, protobuf_client.py)."""
from confluent_kafka import DeserializingConsumer, SerializingProducer
from confluent_kafka.serialization import StringDeserializer, StringSerializer


def produce_values(bootstrap, topic, serializer, orders, convert=lambda order: order):
    """Produces each order (keyed by its id) through `serializer`; returns how many were delivered."""
    producer = SerializingProducer({"bootstrap.servers": bootstrap, "key.serializer": StringSerializer(),
                                    "value.serializer": serializer})
    for order in orders:
        producer.produce(topic, key=order["id"], value=convert(order))
    return len(orders) - producer.flush(30)


def consume_values(bootstrap, topic, group_id, deserializer, count, convert=lambda value: value):
    """Reads up to `count` values of `topic` from the beginning (at most ~100 s of polling)."""
    consumer = DeserializingConsumer({"bootstrap.servers": bootstrap, "group.id": group_id,
                                      "auto.offset.reset": "earliest", "key.deserializer": StringDeserializer(),
                                      "value.deserializer": deserializer})
    consumer.subscribe([topic])
    values = []
    for _ in range(200):
        if len(values) >= count:
            break
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        values.append(convert(msg.value()))
    consumer.close()
    return values

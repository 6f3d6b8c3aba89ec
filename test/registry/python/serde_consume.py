"""The consume step the serde helpers share (json_schema_client.py, protobuf_client.py)."""
from confluent_kafka import DeserializingConsumer
from confluent_kafka.serialization import StringDeserializer


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

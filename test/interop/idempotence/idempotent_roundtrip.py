"""Idempotent produce and consume-back with confluent-kafka (librdkafka), for Brook's interop tests.

usage: /usr/bin/python3 idempotent_roundtrip.py BOOTSTRAP TOPIC CODEC COUNT PARTITIONS

Produces COUNT keyed messages to TOPIC with enable.idempotence=true and compression.type=CODEC,
several batches in flight per partition, then reads every partition back from the beginning
(assign, no consumer group) and prints one JSON line: what was acknowledged, what was read, the
producer id librdkafka got, and any error. Exits 0 when it ran to the end (the test judges).
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

DEADLINE_S = 60


def produce(bootstrap, topic, codec, count):
    acked = []
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acked.append([msg.partition(), msg.offset(), msg.value().decode()])

    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": codec,
        "linger.ms": 5,
        "batch.num.messages": 50,
        "max.in.flight.requests.per.connection": 5,
        "message.timeout.ms": 30000,
    })
    for i in range(count):
        producer.produce(topic, key=f"key-{i % 17}", value=f"{codec}-{i}", on_delivery=on_delivery)
        producer.poll(0)
    remaining = producer.flush(DEADLINE_S)
    return acked, errors, remaining


def consume(bootstrap, topic, partitions, expected):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        # required by the Python binding; offsets are assigned, never committed
        "group.id": "brook-idempotence-check",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "check.crcs": True,
    })
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    read = []
    errors = []
    deadline = time.time() + DEADLINE_S
    idle_since = None
    while time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            if len(read) >= expected:
                idle_since = idle_since or time.time()
                if time.time() - idle_since > 1.5:
                    break
            continue
        idle_since = None
        if msg.error() is not None:
            if msg.error().code() != KafkaError._PARTITION_EOF:
                errors.append(str(msg.error()))
            continue
        read.append([msg.partition(), msg.offset(), msg.value().decode()])
    consumer.close()
    return read, errors


def main():
    bootstrap, topic, codec, count, partitions = sys.argv[1:6]
    count = int(count)
    partitions = int(partitions)
    acked, produce_errors, remaining = produce(bootstrap, topic, codec, count)
    read, consume_errors = consume(bootstrap, topic, partitions, len(acked))
    print(json.dumps({
        "acked": acked,
        "read": read,
        "unflushed": remaining,
        "produceErrors": produce_errors[:10],
        "consumeErrors": consume_errors[:10],
    }))


if __name__ == "__main__":
    main()

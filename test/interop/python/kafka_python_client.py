"""kafka-python 2.0.2 driver for Brook's interop tests (Debian's python3-kafka).

kafka-python does not negotiate versions per API: it sends ApiVersions v0, guesses a broker
version from the answer and fixes its request versions from that guess. Each run does one step,
named by argv[2], against the broker at argv[1], and prints one JSON answer on stdout:

  produce TOPIC CODEC N   -> {"apiVersion": [...], "sent": [{"key", "value", "partition", "offset"}]}
  consume TOPIC GROUP N   -> {"records": [{"key", "value", "partition", "offset"}], "committed": {...}}
  admin-create TOPIC P    -> {"apiVersion": [...], "topics": [...]}
  admin-groups GROUP      -> {"groups": [...], "state": str, "offsets": {...}}
"""

import json
import sys

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

TIMEOUT_MS = 20_000


def text(b):
    return None if b is None else b.decode("utf-8")


def produce(bootstrap, topic, codec, count):
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        compression_type=None if codec == "none" else codec,
        acks="all",
        request_timeout_ms=TIMEOUT_MS,
    )
    futures = []
    for i in range(count):
        key = "key-%d" % (i % 7)
        value = "%s-%d" % (codec, i)
        futures.append((key, value, producer.send(topic, key=key.encode(), value=value.encode())))
    producer.flush(timeout=TIMEOUT_MS / 1000)
    sent = []
    for key, value, future in futures:
        meta = future.get(timeout=TIMEOUT_MS / 1000)
        sent.append({"key": key, "value": value, "partition": meta.partition, "offset": meta.offset})
    answer = {"apiVersion": list(producer.config["api_version"]), "sent": sent}
    producer.close()
    return answer


def consume(bootstrap, topic, group, count):
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=TIMEOUT_MS,
        session_timeout_ms=10_000,
    )
    records = []
    for message in consumer:
        records.append({
            "key": text(message.key),
            "value": text(message.value),
            "partition": message.partition,
            "offset": message.offset,
        })
        if len(records) == count:
            break
    consumer.commit()
    partitions = consumer.partitions_for_topic(topic) or set()
    committed = {str(p): consumer.committed(TopicPartition(topic, p)) for p in sorted(partitions)}
    consumer.close()
    return {"records": records, "committed": committed}


def admin_create(bootstrap, topic, partitions):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=TIMEOUT_MS)
    admin.create_topics([NewTopic(topic, partitions, 1)])
    answer = {"apiVersion": list(admin.config["api_version"]), "topics": sorted(admin.list_topics())}
    admin.close()
    return answer


def admin_groups(bootstrap, group):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=TIMEOUT_MS)
    groups = [name for name, _ in admin.list_consumer_groups()]
    described = admin.describe_consumer_groups([group])[0]
    offsets = {
        "%s-%d" % (tp.topic, tp.partition): meta.offset
        for tp, meta in admin.list_consumer_group_offsets(group).items()
    }
    admin.close()
    return {"groups": sorted(groups), "state": described.state, "offsets": offsets}


def main():
    bootstrap, step, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if step == "produce":
        answer = produce(bootstrap, args[0], args[1], int(args[2]))
    elif step == "consume":
        answer = consume(bootstrap, args[0], args[1], int(args[2]))
    elif step == "admin-create":
        answer = admin_create(bootstrap, args[0], int(args[1]))
    elif step == "admin-groups":
        answer = admin_groups(bootstrap, args[0])
    else:
        raise SystemExit("unknown step %s" % step)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()

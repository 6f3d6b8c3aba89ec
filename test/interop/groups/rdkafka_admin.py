"""confluent-kafka (librdkafka) group administration for Brook's group tests.

Reads one JSON command on stdin, prints one JSON answer on stdout. Run with /usr/bin/python3.

  {"op": "list_groups", "config": {...}, "group": "g" or null}
    -> {"groups": [{"id", "error", "state", "protocol_type", "protocol",
                    "members": [{"id", "client_id", "client_host", "assignment": {topic: [p]}}]}]}
       (librdkafka answers list_groups with ListGroups, then DescribeGroups for the groups)
  {"op": "commit", "config": {... "group.id"}, "offsets": [{"topic", "partition", "offset"}]}
    -> {"error": null | {"name", "code", "str"}, "partitions": [{"partition", "offset", "error"}]}
       a "simple" commit: the consumer never subscribes, so it commits with generation -1 and
       no member id, as kafka-consumer-groups --reset-offsets does
  {"op": "committed", "config": {... "group.id"}, "partitions": [{"topic", "partition"}]}
    -> {"offsets": [{"partition", "offset"}]}
  {"op": "offsets_for_times", "config": {...}, "partitions": [{"topic", "partition", "timestamp"}]}
    -> {"offsets": [{"partition", "offset"}]}
"""

import json
import struct
import sys

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

TIMEOUT_S = 15


def decode_assignment(data):
    """ConsumerProtocolAssignment: int16 version, [string topic, [int32 partition]], bytes."""
    if not data:
        return {}
    pos = 2
    (topics,) = struct.unpack_from(">i", data, pos)
    pos += 4
    result = {}
    for _ in range(max(topics, 0)):
        (length,) = struct.unpack_from(">h", data, pos)
        pos += 2
        topic = data[pos:pos + length].decode("utf-8")
        pos += length
        (count,) = struct.unpack_from(">i", data, pos)
        pos += 4
        result[topic] = list(struct.unpack_from(">" + "i" * count, data, pos))
        pos += 4 * count
    return result


def error_json(err):
    return None if err is None else {"name": err.name(), "code": err.code(), "str": err.str()}


def list_groups(cmd):
    admin = AdminClient(cmd["config"])
    groups = admin.list_groups(cmd.get("group"), timeout=TIMEOUT_S)
    return {"groups": [{
        "id": g.id,
        "error": error_json(g.error),
        "state": g.state,
        "protocol_type": g.protocol_type,
        "protocol": g.protocol,
        "members": [{
            "id": m.id,
            "client_id": m.client_id,
            "client_host": m.client_host,
            "assignment": decode_assignment(m.assignment),
        } for m in g.members],
    } for g in groups]}


def consumer_for(cmd):
    config = dict(cmd["config"])
    config.setdefault("enable.auto.commit", False)
    return Consumer(config)


def commit(cmd):
    consumer = consumer_for(cmd)
    offsets = [TopicPartition(o["topic"], o["partition"], o["offset"]) for o in cmd["offsets"]]
    try:
        result = consumer.commit(offsets=offsets, asynchronous=False)
        answer = {"error": None, "partitions": [
            {"partition": p.partition, "offset": p.offset, "error": error_json(p.error)} for p in result]}
    except KafkaException as e:
        answer = {"error": error_json(e.args[0]), "partitions": []}
    consumer.close()
    return answer


def committed(cmd):
    consumer = consumer_for(cmd)
    parts = [TopicPartition(p["topic"], p["partition"]) for p in cmd["partitions"]]
    result = consumer.committed(parts, timeout=TIMEOUT_S)
    consumer.close()
    return {"offsets": [{"partition": p.partition, "offset": p.offset} for p in result]}


def offsets_for_times(cmd):
    consumer = consumer_for(cmd)
    parts = [TopicPartition(p["topic"], p["partition"], p["timestamp"]) for p in cmd["partitions"]]
    result = consumer.offsets_for_times(parts, timeout=TIMEOUT_S)
    consumer.close()
    return {"offsets": [{"partition": p.partition, "offset": p.offset} for p in result]}


OPS = {"list_groups": list_groups, "commit": commit, "committed": committed,
       "offsets_for_times": offsets_for_times}


def main():
    cmd = json.load(sys.stdin)
    json.dump(OPS[cmd["op"]](cmd), sys.stdout)


if __name__ == "__main__":
    main()

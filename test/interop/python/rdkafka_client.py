"""confluent-kafka (librdkafka) driver for Brook's interop tests.

Reads one JSON command on stdin and prints one JSON answer on stdout. Every wait is bounded by the
command's timeout, so a misbehaving broker makes the answer report what was missing rather than
hang. Run with Debian's /usr/bin/python3 (python3-confluent-kafka).

  {"op": "produce", "config": {...}, "messages": [{"topic", "key", "value", "headers", "partition"}],
   "timeoutS": 20, "flushEach": false}
    -> {"reports": [{"index", "topic", "partition", "offset", "error", "errorName"}], "undelivered": n,
        "errors": [...], "librdkafka": the version of the librdkafka it ran on}
       with "flushEach", each message is flushed (delivered or failed) before the next is produced,
       so that each travels in a batch of its own
  {"op": "create_topics", "config": {...}, "topics": [{"topic", "partitions", "config": {...}}],
   "timeoutS": 20}
    -> {"results": {topic: null or error string}}
  {"op": "consume", "config": {...}, "assignments": [{"topic", "partition", "offset"}], "timeoutS": 20}
    -> {"records": [{"topic", "partition", "offset", "key", "value", "headers", "timestamp"}],
        "eof": bool, "errors": [...]}
  {"op": "consume_after_reset", "config": {...}, "topic", "partition", "offset", "count",
   "timeoutS": 20}
    -> {"records": [{"offset", "value"}], "produced": n, "protocolErrors": [...], "errors": [...]}
       assigns the partition at `offset` (out of range, so auto.offset.reset decides where to
       start) while producing "after-<i>" to it every 0.2 s, until the consumer has received
       `count` records; `protocolErrors` are the PROTOERR lines librdkafka logged (responses it
       could not parse)
  {"op": "subscribe", "config": {...}, "topics": [...], "count": n, "timeoutS": 20}
    -> {"records": [{"topic", "partition", "offset", "value"}], "errors": [...], "errorNames": [...]}
       a group member (subscribe, commits on): polls until `count` records arrived, an
       authorization error was reported, or the time is up
  {"op": "transactional_produce", "config": {...}, "topic", "values": [...], "timeoutS": 20}
    -> {"committed": bool, "error": null or {"name", "text", "fatal"}, "errors": [...]}
       init_transactions, one transaction of the values, commit
"""

import json
import logging
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition, libversion
from confluent_kafka.admin import AdminClient, NewTopic


def text(b):
    return None if b is None else b.decode("utf-8")


def produce(cmd):
    errors = []
    reports = []
    config = dict(cmd["config"])
    config["error_cb"] = lambda err: errors.append(str(err))
    producer = Producer(config)
    deadline = time.monotonic() + cmd.get("timeoutS", 20)

    def on_delivery(index):
        def report(err, msg):
            reports.append({
                "index": index,
                "topic": msg.topic(),
                "partition": msg.partition(),
                "offset": msg.offset(),
                "error": None if err is None else str(err),
                "errorName": None if err is None else err.name(),
            })
        return report

    if cmd.get("metadataFirst") and cmd["messages"]:
        # The topic's partitions known before the first message: otherwise messages wait in
        # librdkafka's unassigned queue and may leave in more batches than linger.ms suggests.
        producer.list_topics(cmd["messages"][0]["topic"], timeout=10)
    for index, m in enumerate(cmd["messages"]):
        kwargs = {"value": m.get("value"), "key": m.get("key"), "on_delivery": on_delivery(index)}
        if m.get("headers"):
            kwargs["headers"] = [(k, v) for k, v in m["headers"]]
        if m.get("partition") is not None:
            kwargs["partition"] = m["partition"]
        while True:
            try:
                producer.produce(m["topic"], **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
            except KafkaException as e:
                errors.append(str(e))
                break
            if time.monotonic() > deadline:
                break
        producer.poll(0)
        if cmd.get("flushEach"):
            producer.flush(max(0.0, deadline - time.monotonic()))
    try:
        undelivered = producer.flush(max(0.0, deadline - time.monotonic()))
    except KafkaException as e:
        errors.append(str(e))
        undelivered = len(producer)
    return {"reports": reports, "undelivered": undelivered, "errors": errors,
            "librdkafka": libversion()[0]}


def consume(cmd):
    errors = []
    config = dict(cmd["config"])
    config.setdefault("enable.partition.eof", True)
    # The Python binding insists on a group id even for assign(); nothing is committed to it.
    config.setdefault("group.id", "brook-interop-assign")
    config.setdefault("enable.auto.commit", False)
    config.setdefault("enable.auto.offset.store", False)
    config["error_cb"] = lambda err: errors.append(str(err))
    consumer = Consumer(config)
    assignments = cmd["assignments"]
    consumer.assign([TopicPartition(a["topic"], a["partition"], a["offset"]) for a in assignments])
    pending = {(a["topic"], a["partition"]) for a in assignments}
    records = []
    deadline = time.monotonic() + cmd.get("timeoutS", 20)
    while pending and time.monotonic() < deadline:
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error() is not None:
            if msg.error().code() == KafkaError._PARTITION_EOF:
                pending.discard((msg.topic(), msg.partition()))
            else:
                errors.append(str(msg.error()))
            continue
        records.append({
            "topic": msg.topic(),
            "partition": msg.partition(),
            "offset": msg.offset(),
            "key": text(msg.key()),
            "value": text(msg.value()),
            "headers": [[k, text(v)] for k, v in (msg.headers() or [])],
            "timestamp": msg.timestamp()[1],
        })
    consumer.close()
    return {"records": records, "eof": not pending, "errors": errors}


class LogLines(logging.Handler):
    """Keeps librdkafka's log lines (delivered by poll()) for the answer."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def consume_after_reset(cmd):
    errors = []
    logs = LogLines()
    logger = logging.getLogger("rdkafka-consume-after-reset")
    logger.addHandler(logs)
    logger.setLevel(logging.DEBUG)
    config = dict(cmd["config"])
    config.setdefault("group.id", "brook-interop-reset")
    config.setdefault("enable.auto.commit", False)
    config["error_cb"] = lambda err: errors.append(str(err))
    config["logger"] = logger
    consumer = Consumer(config)
    producer = Producer({"bootstrap.servers": config["bootstrap.servers"]})
    topic, partition = cmd["topic"], cmd["partition"]
    consumer.assign([TopicPartition(topic, partition, cmd["offset"])])
    deadline = time.monotonic() + cmd.get("timeoutS", 20)
    records = []
    produced = 0
    next_produce = time.monotonic()
    while len(records) < cmd["count"] and time.monotonic() < deadline:
        # Produced all along: whenever the reset happens, records follow it.
        if time.monotonic() >= next_produce:
            producer.produce(topic, value="after-%d" % produced, partition=partition)
            producer.flush(5)
            produced += 1
            next_produce = time.monotonic() + 0.2
        msg = consumer.poll(0.05)
        if msg is None:
            continue
        if msg.error() is not None:
            errors.append(str(msg.error()))
            continue
        records.append({"offset": msg.offset(), "value": text(msg.value())})
    consumer.poll(0)
    consumer.close()
    return {"records": records, "produced": produced, "errors": errors,
            "protocolErrors": [line for line in logs.lines if "PROTOERR" in line or "parse failure" in line]}


def subscribe(cmd):
    errors = []
    names = []
    config = dict(cmd["config"])
    config.setdefault("auto.offset.reset", "earliest")

    def on_error(err):
        errors.append(str(err))
        names.append(err.name())

    config["error_cb"] = on_error
    consumer = Consumer(config)
    consumer.subscribe(cmd["topics"])
    records = []
    deadline = time.monotonic() + cmd.get("timeoutS", 20)
    while len(records) < cmd["count"] and time.monotonic() < deadline:
        if any(n.endswith("AUTHORIZATION_FAILED") for n in names):
            break
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error() is not None:
            on_error(msg.error())
            continue
        records.append({"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
                        "value": text(msg.value())})
    consumer.close()
    return {"records": records, "errors": errors, "errorNames": names}


def transactional_produce(cmd):
    errors = []
    config = dict(cmd["config"])
    config["error_cb"] = lambda err: errors.append(str(err))
    producer = Producer(config)
    timeout = cmd.get("timeoutS", 20)
    try:
        producer.init_transactions(timeout)
        producer.begin_transaction()
        for value in cmd["values"]:
            producer.produce(cmd["topic"], value=value)
        producer.commit_transaction(timeout)
        return {"committed": True, "error": None, "errors": errors}
    except KafkaException as e:
        err = e.args[0]
        return {"committed": False, "error": {"name": err.name(), "text": err.str(), "fatal": err.fatal()},
                "errors": errors}


def create_topics(cmd):
    admin = AdminClient(dict(cmd["config"]))
    new = [NewTopic(t["topic"], num_partitions=t.get("partitions", 1), replication_factor=1,
                    config=t.get("config", {})) for t in cmd["topics"]]
    results = {}
    for topic, future in admin.create_topics(new, request_timeout=cmd.get("timeoutS", 20)).items():
        try:
            future.result(timeout=cmd.get("timeoutS", 20))
            results[topic] = None
        except Exception as e:  # the answer reports it; the test decides
            results[topic] = str(e)
    return {"results": results}


def main():
    cmd = json.load(sys.stdin)
    if cmd["op"] == "produce":
        answer = produce(cmd)
    elif cmd["op"] == "consume":
        answer = consume(cmd)
    elif cmd["op"] == "consume_after_reset":
        answer = consume_after_reset(cmd)
    elif cmd["op"] == "subscribe":
        answer = subscribe(cmd)
    elif cmd["op"] == "transactional_produce":
        answer = transactional_produce(cmd)
    elif cmd["op"] == "create_topics":
        answer = create_topics(cmd)
    else:
        raise SystemExit("unknown op " + cmd["op"])
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()

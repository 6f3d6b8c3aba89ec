"""One confluent-kafka (librdkafka) group member, run as a child process by Brook's group tests.

Options come as JSON in argv[1]:
  {"config": {...librdkafka settings...}, "topic": "t",
   "commitEveryMessages": n or absent, "commitOnce": bool}
With commitEveryMessages the member commits its consumed positions itself (synchronously) after
every n-th message; otherwise librdkafka's auto commit runs as configured.

It reports JSON lines on stdout:
  {"event": "assign"|"revoke"|"lost", "partitions": [...], "assignment": [...after...]}
  {"event": "message", "topic", "partition", "offset", "value"}
  {"event": "committed", "offsets": [{"partition", "offset"}], "error"}
  {"event": "error", "error"}
  {"event": "closed"}
and obeys "close" on stdin: Consumer.close() (final commit with auto commit, LeaveGroup). It also
closes when stdin reaches its end, so no member outlives its test. Run with /usr/bin/python3.
"""

import json
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition

options = json.loads(sys.argv[1])
topic = options["topic"]
lock = threading.Lock()


def emit(event):
    with lock:
        sys.stdout.write(json.dumps(dict(event, at=int(time.time() * 1000))) + "\n")
        sys.stdout.flush()


closing = threading.Event()


def watch_stdin():
    for line in sys.stdin:
        if line.strip() == "close":
            break
    closing.set()


assignment = set()


def on_assign(consumer, partitions):
    # With cooperative-sticky these are only the added partitions (incremental); with an eager
    # assignor, the whole new assignment. The binding performs the (incremental_)assign itself.
    if consumer_is_cooperative:
        assignment.update(p.partition for p in partitions)
    else:
        assignment.clear()
        assignment.update(p.partition for p in partitions)
    emit({"event": "assign", "partitions": sorted(p.partition for p in partitions),
          "assignment": sorted(assignment)})


def on_revoke(consumer, partitions):
    assignment.difference_update(p.partition for p in partitions)
    emit({"event": "revoke", "partitions": sorted(p.partition for p in partitions),
          "assignment": sorted(assignment)})


def on_lost(consumer, partitions):
    assignment.difference_update(p.partition for p in partitions)
    emit({"event": "lost", "partitions": sorted(p.partition for p in partitions),
          "assignment": sorted(assignment)})


def on_commit(err, partitions):
    emit({"event": "committed",
          "offsets": [{"partition": p.partition, "offset": p.offset}
                      for p in partitions if p.error is None],
          "error": None if err is None else str(err)})


def main():
    global consumer_is_cooperative
    config = dict(options["config"])
    # KIP-848's protocol (group.protocol=consumer) hands out partitions incrementally too.
    consumer_is_cooperative = (config.get("partition.assignment.strategy") == "cooperative-sticky"
                               or config.get("group.protocol") == "consumer")
    config["on_commit"] = on_commit
    config["error_cb"] = lambda err: emit({"event": "error", "error": str(err)})
    consumer = Consumer(config)
    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    threading.Thread(target=watch_stdin, daemon=True).start()

    every = options.get("commitEveryMessages")
    commit_once = options.get("commitOnce", False)
    positions = {}
    consumed = 0
    committed_once = False
    while not closing.is_set():
        msg = consumer.poll(0.1)
        if msg is None:
            continue
        if msg.error() is not None:
            if msg.error().code() != KafkaError._PARTITION_EOF:
                emit({"event": "error", "error": str(msg.error())})
            if msg.error().fatal():
                break
            continue
        emit({"event": "message", "topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
              "value": None if msg.value() is None else msg.value().decode("utf-8")})
        # By the record's topic: a pattern subscription ("^...") reads several.
        positions[(msg.topic(), msg.partition())] = msg.offset() + 1
        consumed += 1
        if every is not None and consumed % every == 0 and not (commit_once and committed_once):
            committed_once = True
            consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in positions.items()],
                            asynchronous=False)
    consumer.close()
    emit({"event": "closed"})


consumer_is_cooperative = False

if __name__ == "__main__":
    main()

"""A long-running confluent-kafka (librdkafka) producer for Brook's replication failover test.

Options come as JSON in argv[1]:
  {"config": {...librdkafka settings...}, "topic": "t", "prefix": "rk", "keys": 24, "ratePerS": 150}
It produces the values "<prefix>-<i>" (i = 0, 1, 2, ... in produce() order) with the keys
"<prefix>-k<i % keys>" (librdkafka's partitioner spreads them over the partitions) at about
ratePerS, until "stop" arrives on stdin (or stdin ends); then it flushes (bounded by the config's
message.timeout.ms plus a margin) and exits. It reports JSON lines on stdout:
  {"event": "ack", "value": v, "partition": p, "offset": o, "at": ms}  acknowledged (delivery report)
  {"event": "nack", "value": v, "error": "...", "at": ms}             failed after librdkafka's retries
  {"event": "error", "error": "...", "fatal": bool, "at": ms}        error_cb (transport errors, fatal ones)
  {"event": "done", "produced": n, "undelivered": n, "at": ms}
`at` is the wall clock (ms since the epoch) when the report was handed to the script. Run with
Debian's /usr/bin/python3 (python3-confluent-kafka).
"""

import json
import sys
import threading
import time

from confluent_kafka import KafkaException, Producer

options = json.loads(sys.argv[1])
topic = options["topic"]
prefix = options["prefix"]
keys = int(options.get("keys", 24))
interval_s = 1.0 / float(options.get("ratePerS", 150))
out_lock = threading.Lock()


def now_ms():
    return int(time.time() * 1000)


def emit(event):
    with out_lock:
        sys.stdout.write(json.dumps(dict(event, at=now_ms())) + "\n")


def flush_out():
    with out_lock:
        sys.stdout.flush()


stopping = threading.Event()


def watch_stdin():
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stopping.set()


def on_delivery(err, msg):
    value = msg.value().decode("utf-8")
    if err is None:
        emit({"event": "ack", "value": value, "partition": msg.partition(), "offset": msg.offset()})
    else:
        emit({"event": "nack", "value": value, "error": str(err)})


def on_error(err):
    emit({"event": "error", "error": str(err), "fatal": err.fatal()})


def main():
    config = dict(options["config"])
    config["error_cb"] = on_error
    producer = Producer(config)
    threading.Thread(target=watch_stdin, daemon=True).start()
    produced = 0
    next_at = time.monotonic()
    while not stopping.is_set():
        now = time.monotonic()
        # A pause (a loaded machine) does not turn into a burst: at most a second is made up.
        next_at = max(next_at, now - 1.0)
        while next_at <= now:
            i = produced
            try:
                producer.produce(topic, key="%s-k%d" % (prefix, i % keys), value="%s-%d" % (prefix, i),
                                 on_delivery=on_delivery)
            except BufferError:
                break
            except KafkaException as e:
                emit({"event": "error", "error": "produce(): %s" % e, "fatal": True})
                stopping.set()
                break
            produced += 1
            next_at += interval_s
        producer.poll(max(0.0, min(0.01, next_at - time.monotonic())))
        flush_out()
    timeout_s = config.get("message.timeout.ms", 300000) / 1000.0 + 5
    try:
        undelivered = producer.flush(timeout_s)
    except KafkaException as e:
        emit({"event": "error", "error": "flush(): %s" % e, "fatal": True})
        undelivered = len(producer)
    emit({"event": "done", "produced": produced, "undelivered": undelivered})
    flush_out()


if __name__ == "__main__":
    main()

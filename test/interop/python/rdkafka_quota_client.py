"""A confluent-kafka (librdkafka) producer or consumer for Brook's client quota test.

Options come as JSON in argv[1]:
  {"mode": "produce", "config": {...}, "topic": "t", "messageBytes": 10240,
   "ratePerS": bytes per second to offer, at most a second's worth at once (0: as fast as
   librdkafka takes them), "totalBytes": 0 (no limit)}
  {"mode": "consume", "config": {...}, "topic": "t", "partition": 0, "offset": 0}
It runs until "stop" arrives on stdin (or stdin ends), or a producer has offered totalBytes and
had them acknowledged. Every 100 ms, and once at the end, it prints a JSON line:
  {"t": ms since the client started, "bytes": bytes acknowledged (produce) or received (consume),
   "throttles": throttle events seen (throttle_cb), "throttleMsMax": the longest one, "errors": [...]}
then {"done": true, ...the same fields}. Run with Debian's /usr/bin/python3 (python3-confluent-kafka).
"""

import json
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

options = json.loads(sys.argv[1])
started = time.monotonic()
state = {"bytes": 0, "throttles": 0, "throttleMsMax": 0, "errors": []}
lock = threading.Lock()
stopping = threading.Event()


def on_throttle(event):
    with lock:
        state["throttles"] += 1
        state["throttleMsMax"] = max(state["throttleMsMax"], int(event.throttle_time * 1000))


def on_error(err):
    with lock:
        if len(state["errors"]) < 20:
            state["errors"].append(str(err))


def report(done=False):
    with lock:
        line = dict(state, t=int((time.monotonic() - started) * 1000))
    if done:
        line["done"] = True
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def reporter():
    while not stopping.wait(0.1):
        report()


def watch_stdin():
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stopping.set()


def config():
    c = dict(options["config"])
    c["throttle_cb"] = on_throttle
    c["error_cb"] = on_error
    return c


def produce():
    producer = Producer(config())
    value = b"q" * int(options.get("messageBytes", 10240))
    rate = float(options.get("ratePerS", 0))
    total = int(options.get("totalBytes", 0))
    offered = 0
    # A token bucket of one second: a producer held back (throttled) does not catch up later.
    allowance = 0.0
    last = time.monotonic()

    def delivered(err, msg):
        with lock:
            if err is None:
                state["bytes"] += len(msg.value())
            elif len(state["errors"]) < 20:
                state["errors"].append(str(err))

    while not stopping.is_set() and (total == 0 or offered < total):
        if rate > 0:
            now = time.monotonic()
            allowance = min(allowance + rate * (now - last), rate)
            last = now
            if allowance < len(value):
                producer.poll(0.005)
                continue
        try:
            producer.produce(options["topic"], value=value, on_delivery=delivered)
            offered += len(value)
            if rate > 0:
                allowance -= len(value)
        except BufferError:
            producer.poll(0.01)
            continue
        producer.poll(0)
    producer.flush(30)


def consume():
    consumer = Consumer(config())
    consumer.assign([TopicPartition(options["topic"], int(options.get("partition", 0)), int(options.get("offset", 0)))])
    try:
        while not stopping.is_set():
            msg = consumer.poll(0.1)
            if msg is None:
                continue
            if msg.error() is not None:
                on_error(msg.error())
                continue
            with lock:
                state["bytes"] += len(msg.value() or b"")
    except KafkaException as e:
        on_error(e)
    finally:
        consumer.close()


threading.Thread(target=watch_stdin, daemon=True).start()
threading.Thread(target=reporter, daemon=True).start()
if options["mode"] == "produce":
    produce()
else:
    consume()
stopping.set()
report(done=True)

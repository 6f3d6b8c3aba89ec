"""A steady librdkafka producer for the replication benchmark's failover part.

  /usr/bin/python3 acked-producer.py BOOTSTRAP TOPIC INTERVAL_MS

Produces one small record to partition 0 of TOPIC every INTERVAL_MS (acks=all, librdkafka's
defaults otherwise: linger.ms 5, retries without limit, retry.backoff.ms 100) until it is killed,
and prints one line per delivery report, flushed at once:

  ack <seq> <wall-clock ms>        the record was acknowledged
  err <seq> <wall-clock ms> <error>

Run with Debian's /usr/bin/python3 (python3-confluent-kafka, librdkafka 2.0.2).
"""

import sys
import time

from confluent_kafka import Producer

bootstrap, topic, interval_ms = sys.argv[1], sys.argv[2], float(sys.argv[3])
producer = Producer(
    {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "message.timeout.ms": 120000,
    }
)


def report(err, msg):
    now = time.time() * 1000
    seq = msg.value().decode()
    if err is None:
        print(f"ack {seq} {now:.3f}", flush=True)
    else:
        print(f"err {seq} {now:.3f} {err}", flush=True)


seq = 0
due = time.monotonic()
while True:
    try:
        producer.produce(topic, value=str(seq).encode(), partition=0, on_delivery=report)
        seq += 1
    except BufferError:
        pass
    due += interval_ms / 1000
    producer.poll(max(0.0, due - time.monotonic()))

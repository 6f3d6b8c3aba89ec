"""confluent-kafka (librdkafka) committed() in a loop, from the moment a broker accepts connections.

Reads one JSON command on stdin, prints one JSON answer on stdout. Run with /usr/bin/python3.

  {"host", "port", "topic", "partitions": n, "groups": [...], "durationS", "waitS"}
    -> {"connectedAfterS": s or null, "calls": [{"group", "at", "offsets": [n, ...] | null,
                                                   "error": str | null}]}

Polls a TCP connect to host:port every millisecond (for at most waitS), then, for durationS,
asks committed() for every partition of `topic`, one group after the other, each time with a new
consumer (a new connection and a new coordinator lookup, as a freshly started application does).
"""

import json
import socket
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

COMMITTED_TIMEOUT_S = 15


def wait_accepting(host, port, wait_s):
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.001)
    return False


def committed(bootstrap, group, topic, partitions):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        # Reconnect at once: the broker has only just started listening.
        "reconnect.backoff.ms": 10,
        "reconnect.backoff.max.ms": 50,
    })
    try:
        result = consumer.committed([TopicPartition(topic, p) for p in range(partitions)],
                                    timeout=COMMITTED_TIMEOUT_S)
        errors = [str(tp.error) for tp in result if tp.error is not None]
        if errors:
            return None, "; ".join(errors)
        return [tp.offset for tp in result], None
    except KafkaException as e:
        return None, str(e.args[0])
    finally:
        consumer.close()


def main():
    cmd = json.load(sys.stdin)
    started = time.monotonic()
    answer = {"connectedAfterS": None, "calls": []}
    if not wait_accepting(cmd["host"], cmd["port"], cmd["waitS"]):
        json.dump(answer, sys.stdout)
        return
    connected = time.monotonic()
    answer["connectedAfterS"] = connected - started
    bootstrap = "%s:%d" % (cmd["host"], cmd["port"])
    i = 0
    while time.monotonic() < connected + cmd["durationS"]:
        group = cmd["groups"][i % len(cmd["groups"])]
        i += 1
        at = time.monotonic() - connected
        offsets, error = committed(bootstrap, group, cmd["topic"], cmd["partitions"])
        answer["calls"].append({"group": group, "at": at, "offsets": offsets, "error": error})
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()

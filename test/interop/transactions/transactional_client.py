"""confluent-kafka (librdkafka) transactions driver for Brook's interop tests.

  transactional_client.py rounds BOOTSTRAP TOPIC TXN_ID PARTITIONS ROUNDS
      one transaction per round, a record per partition ("r<round>-p<partition>"); even rounds
      commit, odd rounds abort; prints {"committed": [...], "aborted": [...]}
  transactional_client.py consume BOOTSTRAP TOPIC ISOLATION EXPECTED TIMEOUT_S
      reads the topic from the beginning with isolation.level ISOLATION until EXPECTED values or
      TIMEOUT_S; prints {"values": [...]}
  transactional_client.py ctp BOOTSTRAP TXN_ID GROUP INPUT OUTPUT HOLD_S
      consume-transform-produce until killed: one transaction per input record ("out-<value>" to
      OUTPUT, the consumed offset sent with send_offsets_to_transaction); prints "txn <value>"
      once the record is delivered and "done <value>" once committed, flushing stdout
  transactional_client.py zombie BOOTSTRAP TOPIC TXN_ID
      a producer opens a transaction, a second with the same transactional.id initialises, then
      the first produces and commits; prints {"fenced": error name or null}

Run with Debian's /usr/bin/python3 (python3-confluent-kafka).
"""

import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def producer(bootstrap, txn_id):
    p = Producer({
        "bootstrap.servers": bootstrap,
        "transactional.id": txn_id,
        "transaction.timeout.ms": 60000,
        "linger.ms": 0,
    })
    p.init_transactions(30)
    return p


def rounds(bootstrap, topic, txn_id, partitions, count):
    p = producer(bootstrap, txn_id)
    committed, aborted = [], []
    for r in range(count):
        p.begin_transaction()
        values = ["r%d-p%d" % (r, q) for q in range(partitions)]
        for q, v in enumerate(values):
            p.produce(topic, value=v.encode(), partition=q)
        p.flush(20)
        if r % 2 == 0:
            p.commit_transaction(30)
            committed += values
        else:
            p.abort_transaction(30)
            aborted += values
    print(json.dumps({"committed": committed, "aborted": aborted}))


def consume(bootstrap, topic, isolation, expected, timeout_s):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "reader-%s-%f" % (topic, time.time()),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": isolation,
    })
    c.subscribe([topic])
    values = []
    deadline = time.monotonic() + timeout_s
    grace = None
    while time.monotonic() < deadline:
        if grace is not None and time.monotonic() > grace:
            break
        msg = c.poll(0.2)
        if msg is None or msg.error():
            continue
        values.append(msg.value().decode())
        if len(values) >= expected and grace is None:
            grace = time.monotonic() + 1.0
    c.close()
    print(json.dumps({"values": sorted(values)}))


def ctp(bootstrap, txn_id, group, input_topic, output_topic, hold_s):
    p = producer(bootstrap, txn_id)
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
        "session.timeout.ms": 6000,
    })
    c.subscribe([input_topic])
    while True:
        msg = c.poll(0.2)
        if msg is None or msg.error():
            continue
        value = msg.value().decode()
        p.begin_transaction()
        p.produce(output_topic, value=("out-" + value).encode())
        p.flush(20)
        print("txn " + value, flush=True)
        time.sleep(hold_s)
        p.send_offsets_to_transaction(
            [TopicPartition(msg.topic(), msg.partition(), msg.offset() + 1)],
            c.consumer_group_metadata(),
            30,
        )
        p.commit_transaction(30)
        print("done " + value, flush=True)


def zombie(bootstrap, topic, txn_id):
    first = producer(bootstrap, txn_id)
    first.begin_transaction()
    first.produce(topic, value=b"zombie-before", partition=0)
    first.flush(20)
    second = producer(bootstrap, txn_id)
    fenced = None
    try:
        first.produce(topic, value=b"zombie-after", partition=0)
        first.flush(10)
        first.commit_transaction(20)
    except KafkaException as e:
        fenced = e.args[0].name()
    second.begin_transaction()
    second.produce(topic, value=b"successor", partition=0)
    second.commit_transaction(30)
    print(json.dumps({"fenced": fenced}))


def main():
    op, args = sys.argv[1], sys.argv[2:]
    if op == "rounds":
        rounds(args[0], args[1], args[2], int(args[3]), int(args[4]))
    elif op == "consume":
        consume(args[0], args[1], args[2], int(args[3]), float(args[4]))
    elif op == "ctp":
        ctp(args[0], args[1], args[2], args[3], args[4], float(args[5]))
    elif op == "zombie":
        zombie(args[0], args[1], args[2])
    else:
        raise SystemExit("unknown op " + op)


if __name__ == "__main__":
    main()

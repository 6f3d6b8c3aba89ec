"""The librdkafka client of the transactions benchmark (Debian's python3-confluent-kafka).

  txn-producer.py produce BOOTSTRAP TOPIC RECORDS PER_TXN
      creates TOPIC (1 partition, RF 1), produces one untimed record (in its own transaction),
      then RECORDS values of 100 bytes to partition 0:
      PER_TXN 0 = idempotent producer (enable.idempotence, acks=all), otherwise transactional
      with PER_TXN records per transaction; linger.ms 5 in both. Prints one JSON line
      {records, seconds, recordsPerSec, highWatermark}.
  txn-producer.py consume BOOTSTRAP TOPIC ISOLATION
      reads partition 0 of TOPIC from offset 0 to its end with isolation.level ISOLATION.
      Prints {records, seconds, recordsPerSec}.

Only the produce loop (with the final flush or commit) and the read loop are timed: not start-up,
topic creation or init_transactions, which every producer pays once.
"""

import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

VALUE = b"v" * 100


def create_topic(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        future.result(30)


def high_watermark(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "hw-" + topic})
    _, high = c.get_watermark_offsets(TopicPartition(topic, 0), 30)
    c.close()
    return high


def produce(bootstrap, topic, records, per_txn):
    create_topic(bootstrap, topic)
    config = {"bootstrap.servers": bootstrap, "linger.ms": 5, "message.timeout.ms": 120000}
    if per_txn == 0:
        config.update({"enable.idempotence": True, "acks": "all"})
    else:
        config.update({"transactional.id": "bench-" + topic, "transaction.timeout.ms": 120000})
    p = Producer(config)
    failed = []

    def report(err, _msg):
        if err is not None:
            failed.append(str(err))

    # One record first, untimed: connection, metadata of the new topic and producer id in place.
    if per_txn > 0:
        p.init_transactions(30)
        p.begin_transaction()
    p.produce(topic, VALUE, partition=0, on_delivery=report)
    if per_txn > 0:
        p.commit_transaction(60)
    p.flush(60)
    t0 = time.perf_counter()
    sent = 0
    while sent < records:
        if per_txn > 0:
            p.begin_transaction()
        batch_end = records if per_txn == 0 else min(records, sent + per_txn)
        while sent < batch_end:
            try:
                p.produce(topic, VALUE, partition=0, on_delivery=report)
                sent += 1
            except BufferError:
                # The local queue is full: serve delivery reports until there is room.
                p.poll(0.05)
        if per_txn > 0:
            p.commit_transaction(60)
    p.flush(120)
    seconds = time.perf_counter() - t0
    if failed:
        sys.exit("delivery failed: " + failed[0])
    hw = high_watermark(bootstrap, topic)
    print(json.dumps({"records": sent, "seconds": seconds, "recordsPerSec": sent / seconds, "highWatermark": hw}))


def consume(bootstrap, topic, isolation):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "bench-reader",
        "enable.auto.commit": False,
        "isolation.level": isolation,
        # The end of the partition (the LSO for read_committed) ends the read.
        "enable.partition.eof": True,
    })
    t0 = time.perf_counter()
    c.assign([TopicPartition(topic, 0, 0)])
    count = 0
    while True:
        msgs = c.consume(1000, 0.05)
        done = False
        for m in msgs:
            err = m.error()
            if err is None:
                count += 1
            elif err.code() == KafkaError._PARTITION_EOF:
                done = True
            else:
                sys.exit("consume failed: " + str(err))
        if done:
            break
    seconds = time.perf_counter() - t0
    c.close()
    print(json.dumps({"records": count, "seconds": seconds, "recordsPerSec": count / seconds}))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "produce":
        produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "consume":
        consume(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: txn-producer.py produce|consume ...")

/**
 * Child process of crash.test.ts: opens (recovering) the log in argv[2] and appends until killed.
 * The value of the record at offset o is `crashValue(o)`, whatever run wrote it, so the parent can
 * check that the log is a prefix of what was written. Reports on stdout, one line each, written
 * synchronously so that a line seen by the parent is true:
 *   READY <logEndOffset>     recovery done
 *   F <offset>               everything below offset is fsynced
 *   L <offset>               DeleteRecords moved the log start offset here, durably
 */
import { writeSync } from "node:fs";
import { SeededRandom, systemClock } from "../../src/base/index.js";
import { encodeRecordBatch } from "../../src/protocol/index.js";
import { LogManager, logConfig } from "../../src/storage/index.js";
import { CRASH_CONFIG, CRASH_TOPIC_PARTITION, crashValue } from "./crash-shared.js";

const dir = process.argv[2] as string;
const random = new SeededRandom(Number(process.argv[3] ?? 1));
const report = (line: string) => writeSync(1, `${line}\n`);

const manager = await LogManager.open({
  logDirs: [dir],
  defaults: logConfig(CRASH_CONFIG),
  clock: systemClock,
  intervals: {
    recoveryPointCheckpointIntervalMs: 0,
    retentionCheckIntervalMs: 0,
    highWatermarkCheckpointIntervalMs: 0,
  },
  cleanerEnabled: false,
});
const log = manager.getOrCreateLog(CRASH_TOPIC_PARTITION);
report(`READY ${log.logEndOffset}`);

/** Appends made in one run at most (the parent kills far earlier). */
const APPENDS_MAX = 10_000_000;
for (let i = 0; i < APPENDS_MAX; i++) {
  const count = random.int(1, 20);
  const base = log.logEndOffset;
  const records = Array.from({ length: count }, (_, k) => ({
    key: null,
    value: Buffer.from(crashValue(base + BigInt(k))),
    timestamp: BigInt(Date.now()),
  }));
  log.appendAsLeader(encodeRecordBatch({ records }), 1);
  log.updateHighWatermark(log.logEndOffset);
  const dice = random.next();
  if (dice < 0.05) {
    const leo = log.logEndOffset;
    log.flush();
    report(`F ${leo}`);
  } else if (dice < 0.06) {
    await manager.tick();
  } else if (dice < 0.062) {
    const target = log.logStartOffset + (log.logEndOffset - log.logStartOffset) / 3n;
    report(`L ${log.deleteRecordsBefore(target)}`);
  }
  if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
}

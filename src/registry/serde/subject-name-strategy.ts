/**
 * How serializers name the subject a schema is registered under (Confluent's strategies):
 * TopicNameStrategy `<topic>-key|value` (the default), RecordNameStrategy `<record full name>`,
 * TopicRecordNameStrategy `<topic>-<record full name>`.
 */
export type SubjectNameStrategy = (topic: string, isKey: boolean, recordName: string | undefined) => string;

export const topicNameStrategy: SubjectNameStrategy = (topic, isKey) => `${topic}-${isKey ? "key" : "value"}`;

export const recordNameStrategy: SubjectNameStrategy = (_topic, _isKey, recordName) => {
  if (!recordName) throw new Error("RecordNameStrategy needs a named record type");
  return recordName;
};

export const topicRecordNameStrategy: SubjectNameStrategy = (topic, _isKey, recordName) => {
  if (!recordName) throw new Error("TopicRecordNameStrategy needs a named record type");
  return `${topic}-${recordName}`;
};

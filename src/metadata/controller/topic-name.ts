/** Kafka's topic name rules: 1-249 characters of [a-zA-Z0-9._-], and not "." or "..". */
export const TOPIC_NAME_LENGTH_MAX = 249;

export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === "." || name === "..") return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_LENGTH_MAX) {
    return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_LENGTH_MAX} characters, topic name: ${name}`;
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    return `Topic name ${name} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

/** Kafka refuses topics whose names differ only by '.' versus '_' (they collide in metric names). */
export function topicNamesCollide(a: string, b: string): boolean {
  return a !== b && a.replaceAll(".", "_") === b.replaceAll(".", "_");
}

/**
 * The first name in `names` (in order) that collides with `name` (topicNamesCollide), or undefined.
 * Called per created topic with every existing name, so it allocates nothing for names that cannot
 * collide: a name without '.' or '_' collides with none, and a colliding name has the same length.
 */
export function collidingTopicName(name: string, ...names: Iterable<string>[]): string | undefined {
  if (!name.includes(".") && !name.includes("_")) return undefined;
  const normalized = name.replaceAll(".", "_");
  for (const list of names) {
    for (const other of list) {
      if (other.length === name.length && other !== name && other.replaceAll(".", "_") === normalized)
        return other;
    }
  }
  return undefined;
}

export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(["__consumer_offsets", "__transaction_state"]);

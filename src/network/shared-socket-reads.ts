import { Socket } from "node:net";

/**
 * Socket reads into one buffer shared by every connection of the process, instead of a fresh
 * 64 KiB allocation per read (Node's default): at 1 KB records a broker reads ~16 chunks per MiB,
 * and each fresh chunk was a malloc, a realloc, a Buffer object for the garbage collector and, once
 * freed, a hole in the C heap that kept the broker's resident memory ~45 MB above its idle size
 * after a 1 GB produce. Reads are handled one at a time on the event loop, so one buffer serves all
 * connections; the frame reader copies out what it keeps (`transientChunks`).
 *
 * Node offers this as the `onread` option of sockets it creates on `connect`, not of those a server
 * accepts; the accepted socket is switched the same way Node's constructor does it (the stream
 * handle's user buffer and the socket's two onread slots, found on a probe socket by their
 * descriptions). Where that is not found (another Node version, a socket without a stream handle,
 * as in tests), nothing changes and the socket emits 'data' as before.
 */
export const SHARED_READ_BYTES = 64 * 1024;

interface OnreadSlots {
  buffer: symbol;
  callback: symbol;
}

let slots: OnreadSlots | null | undefined;
let shared: Buffer | null = null;

function onreadSlots(): OnreadSlots | null {
  if (slots !== undefined) return slots;
  // `onread` is in Node's documentation for net.connect and the Socket constructor, not in its types.
  const options = { onread: { buffer: Buffer.alloc(1), callback: () => true } };
  const probe = new Socket(options as ConstructorParameters<typeof Socket>[0]);
  const found = new Map(Object.getOwnPropertySymbols(probe).map((s) => [s.description, s]));
  probe.destroy();
  const buffer = found.get("kBuffer");
  const callback = found.get("kBufferCb");
  slots = buffer !== undefined && callback !== undefined ? { buffer, callback } : null;
  return slots;
}

interface UserBufferHandle {
  useUserBuffer?(buffer: Uint8Array): void;
}

/**
 * Makes `socket` read into the shared buffer and hand each chunk (valid only during the call) to
 * `onChunk`; returns false, changing nothing, when the socket cannot. Call before any data arrives
 * (in the server's connection callback), instead of listening for 'data'.
 */
export function readIntoSharedBuffer(socket: Socket, onChunk: (chunk: Buffer) => void): boolean {
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle;
  const found = onreadSlots();
  if (found === null || typeof handle?.useUserBuffer !== "function") return false;
  shared ??= Buffer.allocUnsafeSlow(SHARED_READ_BYTES);
  const target = socket as unknown as Record<symbol, unknown>;
  target[found.buffer] = shared;
  target[found.callback] = (bytes: number, buffer: Buffer) => {
    onChunk(buffer.subarray(0, bytes));
    return true;
  };
  handle.useUserBuffer(shared);
  // No 'data' listener puts the stream in flowing mode: without it, 'end' would never come.
  socket.resume();
  return true;
}

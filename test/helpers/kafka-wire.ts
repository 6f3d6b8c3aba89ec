import { connect, type Socket } from "node:net";
import {
  apiSpec,
  decodeResponseFrameHeader,
  encodeRequestFrameHeader,
  Reader,
  Writer,
} from "../../src/protocol/index.js";

/**
 * A minimal raw Kafka client for tests: encodes requests with the generated codecs, sends them
 * over one socket (pipelined), and decodes responses in order. Also sends arbitrary bytes, for
 * tests of malformed input.
 */
export class WireClient {
  private readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private correlationId = 1;
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        this.frames.push(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static async connect(port: number, host = "127.0.0.1"): Promise<WireClient> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new WireClient(socket);
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends a request; returns its correlation id. */
  send(apiKey: number, apiVersion: number, body: unknown, clientId: string | null = "wire-test"): number {
    const spec = apiSpec(apiKey);
    if (spec === undefined) throw new Error(`unknown api ${apiKey}`);
    const correlationId = this.correlationId++;
    const w = new Writer();
    w.int32(0);
    encodeRequestFrameHeader(w, {
      requestApiKey: apiKey,
      requestApiVersion: apiVersion,
      correlationId,
      clientId,
    });
    spec.encodeRequest(w, body, apiVersion);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    this.socket.write(frame);
    return correlationId;
  }

  async nextFrame(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error("connection closed");
      if (Date.now() > deadline) throw new Error("timed out waiting for a response");
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.frames.shift() as Buffer;
  }

  /** Reads the next response, decoding it as the response to (apiKey, apiVersion). */
  async receive<T>(apiKey: number, apiVersion: number): Promise<{ correlationId: number; body: T }> {
    const frame = await this.nextFrame();
    const r = new Reader(frame);
    const header = decodeResponseFrameHeader(r, apiKey, apiVersion);
    const body = apiSpec(apiKey)?.decodeResponse(r, apiVersion) as T;
    return { correlationId: header.correlationId, body };
  }

  async request<T>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
    const id = this.send(apiKey, apiVersion, body);
    const response = await this.receive<T>(apiKey, apiVersion);
    if (response.correlationId !== id)
      throw new Error(`correlation id ${response.correlationId}, expected ${id}`);
    return response.body;
  }

  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/**
 * A TCP proxy between Kafka clients and a broker that loses Produce responses: for the first
 * `dropProduceResponses` Produce requests it forwards the request (so the broker appends the
 * batch), then closes the client's connection instead of passing the response on. A client sees
 * what a network failure after the write looks like, and an idempotent client retries the same
 * batch with the same sequence, which the broker must recognise as a duplicate.
 *
 * The broker should advertise the proxy's address (advertised.listeners) so that clients come
 * back through it after bootstrap.
 */
const PRODUCE_API_KEY = 0;
/** Bytes buffered per direction before frames are parsed; a frame larger than this passes whole. */
const FRAME_BYTES_MAX = 64 * 1024 * 1024;

export class LossyProxy {
  readonly server: Server;
  private targetPort = 0;
  private dropsLeft: number;
  dropped = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(server: Server, dropProduceResponses: number) {
    this.server = server;
    this.dropsLeft = dropProduceResponses;
  }

  static async start(dropProduceResponses: number): Promise<LossyProxy> {
    let proxy: LossyProxy | null = null;
    const server = createServer((client) => proxy?.accept(client));
    proxy = new LossyProxy(server, dropProduceResponses);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === "string") throw new Error("proxy not listening");
    return address.port;
  }

  /** Where connections go (set once the broker listens). */
  forwardTo(port: number): void {
    this.targetPort = port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = tcpConnect(this.targetPort, "127.0.0.1");
    this.sockets.add(client);
    this.sockets.add(upstream);
    const doomed = new Set<number>();
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
    frames(client, (frame) => {
      // request header: apiKey int16, apiVersion int16, correlationId int32
      if (frame.readInt16BE(4) === PRODUCE_API_KEY && this.dropsLeft > 0) {
        this.dropsLeft--;
        doomed.add(frame.readInt32BE(8));
      }
      upstream.write(frame);
    });
    frames(upstream, (frame) => {
      if (doomed.has(frame.readInt32BE(4))) {
        this.dropped++;
        close();
        return;
      }
      client.write(frame);
    });
  }
}

/** Calls `onFrame` with each size-prefixed frame (prefix included) read from `socket`. */
function frames(socket: Socket, onFrame: (frame: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const size = buffered.readInt32BE(0);
      if (size < 0 || size > FRAME_BYTES_MAX) {
        socket.destroy();
        return;
      }
      if (buffered.length < 4 + size) break;
      onFrame(buffered.subarray(0, 4 + size));
      buffered = buffered.subarray(4 + size);
    }
  });
}

import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
  /** The local port to connect to instead of the target's. */
  port: number;
  /** Simulates an outage: drops every open connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 whose link to the target a test can cut and restore, leaving the target itself alone. */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let refusing = false;

  function track(socket: Socket): void {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  }

  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    track(client);
    track(upstream);
    // Either side ending or failing ends the pair, as a real broken link would.
    const dropPair = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', dropPair).on('close', dropPair);
    upstream.on('error', dropPair).on('close', dropPair);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The TCP proxy has no port');

  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };

  return {
    port: address.port,
    cut() {
      refusing = true;
      dropAll();
    },
    restore() {
      refusing = false;
    },
    async close() {
      refusing = true;
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Stock `@apollo/gateway` on `@apollo/server` standalone, default configuration, with the one change a
 * real deployment needs: `Authorization` forwarded to the subgraphs.
 *
 *   SUPERGRAPH_PATH=... PORT=... node --import tsx bench/gateways/apollo.ts
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

interface Context {
  authorization: string | undefined;
}

class ForwardAuthorization extends RemoteGraphQLDataSource<Context> {
  override willSendRequest({ request, context }: Parameters<NonNullable<RemoteGraphQLDataSource<Context>['willSendRequest']>>[0]) {
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.SUPERGRAPH_PATH!, 'utf8'),
  buildService: ({ url }) => new ForwardAuthorization({ url }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT), host: '127.0.0.1' },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`apollo gateway ready at ${url}`);

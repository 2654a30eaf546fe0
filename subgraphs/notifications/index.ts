import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { formatError } from '../../lib/errors.ts';
import type { SubgraphModule } from '../../lib/subgraph.ts';
import { serveGraphQLOverWebSocket, type GraphQLWebSocketServer } from '../../lib/websocket.ts';
import type { Context } from './context.ts';
import { createLiveHub } from './live.ts';
import { createNotificationLoaders } from './loaders.ts';
import { NOTIFIED_EVENT_TYPES } from './recipients.ts';
import { resolvers } from './resolvers/index.ts';
import { createNotificationsService, EVENTS_QUEUE, NOTIFICATION_CREATED, type NotificationCreated } from './service.ts';

/**
 * Notifications: made from the other subgraphs' events, stored, and pushed live over graphql-ws to
 * the recipient's subscriptions on whichever instance they are connected to.
 */
export const notificationsSubgraph: SubgraphModule<Context> = {
  name: 'notifications',
  typeDefs: parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')),
  resolvers,
  migrationsFolder: fileURLToPath(new URL('./db/migrations', import.meta.url)),
  create(deps) {
    const notifications = createNotificationsService(deps);
    const live = createLiveHub();
    const context = (request: Context extends infer C ? Omit<C, 'notifications' | 'live' | 'loaders'> : never): Context => ({
      ...request,
      notifications,
      live,
      loaders: createNotificationLoaders(notifications),
    });
    let websocket: GraphQLWebSocketServer | undefined;

    return {
      context,
      consumers: [
        // Shared by every instance: each event makes its notifications once.
        { queue: EVENTS_QUEUE, bindings: NOTIFIED_EVENT_TYPES, handler: (event) => notifications.handleEvent(event) },
        // One private queue per instance: every instance sees every notification, for its own subscribers.
        {
          queue: 'notifications.live',
          exclusive: true,
          bindings: [NOTIFICATION_CREATED],
          handler: async (event) => live.publish(event.data as NotificationCreated),
        },
      ],
      attach(http, schema) {
        websocket = serveGraphQLOverWebSocket({
          http,
          schema,
          verifier: deps.runtime.verifier,
          limits: deps.runtime.config.websocket,
          // The gateway closes its client's connection when the token expires; this is the backstop.
          expiryGraceMs: 2_000,
          formatError,
          logger: deps.logger,
          context: (caller) => context({ userId: caller.userId, requestId: caller.requestId, logger: deps.logger.child({ requestId: caller.requestId }) }),
        });
      },
      async stop() {
        live.closeAll();
        await websocket?.close();
      },
    };
  },
};

import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

let page: string | undefined;

/**
 * GraphiQL with everything inlined (no CDN), for exploring the supergraph without internet: queries and
 * mutations over HTTP, subscriptions over graphql-ws, both at `/graphql`. Rendered once, on first use
 * (it is several megabytes), and kept.
 */
export function explorerPage(): string {
  page ??= renderGraphiQL({
    title: 'Skillgraph explorer',
    endpoint: '/graphql',
    subscriptionsProtocol: 'WS',
    defaultQuery: `# Welcome to Skillgraph. Register, then send the token as an "Authorization: Bearer <token>" header
# (and, for subscriptions, as connection parameter "authorization").
query Quizzes {
  quizzes { slug title topic questionCount }
}
`,
  });
  return page;
}

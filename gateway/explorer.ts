let page: Promise<string> | undefined;

/**
 * GraphiQL with everything inlined (no CDN), for exploring the supergraph without internet: queries and
 * mutations over HTTP, subscriptions over graphql-ws, both at `/graphql`. Loaded and rendered on first
 * use, then kept: its bundle is some 30 MB of heap once loaded, which a gateway nobody explores
 * should not carry.
 */
export function explorerPage(): Promise<string> {
  page ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) =>
    renderGraphiQL({
      title: 'Skillgraph explorer',
      endpoint: '/graphql',
      subscriptionsProtocol: 'WS',
      defaultQuery: `# Welcome to Skillgraph. Register, then send the token as an "Authorization: Bearer <token>" header
# (and, for subscriptions, as connection parameter "authorization").
query Quizzes {
  quizzes { slug title topic questionCount }
}
`,
    }),
  );
  // A failed load is tried again on the next visit.
  page.catch(() => (page = undefined));
  return page;
}

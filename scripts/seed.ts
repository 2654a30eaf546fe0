/**
 * `npm run seed [-- <gateway url>] [--users N]`: fills a running supergraph with hundreds of users,
 * teams, jobs and quiz attempts, through the public API as any client would (default
 * http://localhost:4000/graphql, so `npm start` in one terminal and this in another).
 *
 * It seeds what the supergraph offers: the operations are found by introspection, and a part whose
 * subgraph is not there (say, no `createTeam`) is skipped and named. Every run adds new users (their
 * emails are unique to the run); the choices are drawn from a fixed seed, so runs look alike.
 */
import { randomUUID } from 'node:crypto';

const args = process.argv.slice(2);
const GATEWAY_URL = args.find((arg) => /^https?:\/\//.test(arg)) ?? process.env.GATEWAY_URL ?? 'http://localhost:4000/graphql';
const USERS = Number(args[args.indexOf('--users') + 1] ?? NaN) || 300;
/** Requests in flight at once: registration hashes a password (scrypt, 32 MiB), so not many. */
const CONCURRENCY = 8;
const PASSWORD = 'seeded password';
const SKILLS = ['typescript', 'graphql', 'postgresql', 'redis', 'rabbitmq', 'docker', 'kubernetes', 'terraform', 'django', 'microservices'];
const HACKATHONS = ['Global Game Jam', 'HackZurich', 'ETHGlobal', 'Junction', null];

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** A small deterministic generator (mulberry32): the same choices on every run. */
function createRandom(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]) => items[int(0, items.length - 1)]!;
  const sample = <T>(items: readonly T[], count: number) => [...items].sort(() => next() - 0.5).slice(0, count);
  return { next, int, pick, sample };
}
const random = createRandom(20261122);

/** Sends an operation as any client would; a RATE_LIMITED answer is waited out (Retry-After) and sent again. */
async function graphql<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(GATEWAY_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const retryAfter = Number(response.headers.get('retry-after'));
    if (response.status === 429 && retryAfter > 0 && attempt <= RATE_LIMIT_RETRIES) {
      if (!rateLimitSaid) console.log(`  (rate limited: waiting as the gateway asks; raise RATE_LIMIT_PER_MINUTE on the gateway to seed faster)`);
      rateLimitSaid = true;
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      continue;
    }
    return answerOf<T>(response);
  }
}

const RATE_LIMIT_RETRIES = 10;
let rateLimitSaid = false;

async function answerOf<T>(response: Response): Promise<T> {
  const answer = (await response.json()) as GraphQLAnswer<T>;
  if (answer.errors?.length || !answer.data) throw new Error(answer.errors?.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`).join('; ') ?? `HTTP ${response.status}`);
  return answer.data;
}

/** Runs `work` over `items`, a few at a time, and counts what failed instead of stopping at the first failure. */
async function each<T, R>(label: string, items: T[], work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results.push(await work(items[index]!, index));
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  console.log(`  ${label}: ${results.length} done${failures.length ? `, ${failures.length} failed (first: ${failures[0]})` : ''}`);
  return results;
}

/** The supergraph's root fields, by introspection. */
async function rootFields(): Promise<{ queries: Set<string>; mutations: Set<string> }> {
  const data = await graphql<{ __schema: { queryType: { fields: Array<{ name: string }> }; mutationType: { fields: Array<{ name: string }> } | null } }>(
    '{ __schema { queryType { fields { name } } mutationType { fields { name } } } }',
  ).catch((error: Error) => {
    throw new Error(`Cannot introspect ${GATEWAY_URL} (${error.message}). Is the gateway running, with INTROSPECTION on?`);
  });
  const names = (fields: Array<{ name: string }> | undefined) => new Set((fields ?? []).map((field) => field.name));
  return { queries: names(data.__schema.queryType.fields), mutations: names(data.__schema.mutationType?.fields) };
}

interface SeededUser {
  id: string;
  email: string;
  token: string;
  skills: string[];
}

async function seedUsers(): Promise<SeededUser[]> {
  const run = randomUUID().slice(0, 8);
  const indexes = Array.from({ length: USERS }, (_, i) => i);
  const users = await each('users registered', indexes, async (i) => {
    const email = `seed-${run}-${i}@example.com`;
    const { register } = await graphql<{ register: { token: string; user: { id: string } } }>(
      'mutation($input: RegisterInput!) { register(input: $input) { token user { id } } }',
      { input: { email, password: PASSWORD, name: `Seeded Developer ${i + 1}` } },
    );
    return { id: register.user.id, email, token: register.token, skills: random.sample(SKILLS, random.int(1, 4)) };
  });
  await each('skill sets', users, (user) =>
    graphql('mutation($skills: [SkillInput!]!) { setSkills(skills: $skills) { id } }', { skills: user.skills.map((name) => ({ name, level: random.int(1, 5) })) }, user.token),
  );
  return users;
}

/** One team per five users, led by one of them; others ask to join and most are accepted. */
async function seedTeams(users: SeededUser[]) {
  const leaders = users.filter((_, i) => i % 5 === 0);
  const teams = await each('teams created', leaders, async (leader, i) => {
    const { createTeam } = await graphql<{ createTeam: { id: string } }>(
      'mutation($input: CreateTeamInput!) { createTeam(input: $input) { id } }',
      {
        input: {
          name: `Team ${i + 1}`,
          description: `A team building something with ${leader.skills.join(', ')}`,
          hackathon: random.pick(HACKATHONS),
          requiredSkills: random.sample(SKILLS, random.int(1, 3)),
          maxMembers: random.int(3, 8),
        },
      },
      leader.token,
    );
    return { id: createTeam.id, leader };
  });
  const requests = users
    .filter((_, i) => i % 5 !== 0)
    .map((user) => ({ user, team: random.pick(teams) }))
    .filter(({ team }) => team !== undefined);
  const made = await each('join requests', requests, async ({ user, team }) => {
    const { requestToJoin } = await graphql<{ requestToJoin: { id: string } }>('mutation($teamId: ID!) { requestToJoin(teamId: $teamId, message: "Count me in") { id } }', { teamId: team.id }, user.token);
    return { id: requestToJoin.id, team };
  });
  // Teams fill up; a refused acceptance (team full) is expected now and then.
  await each('join requests accepted', made.filter(() => random.next() < 0.7), ({ id, team }) =>
    graphql('mutation($id: ID!) { acceptJoinRequest(id: $id) { id } }', { id }, team.leader.token),
  );
}

/** A job per four users; a few proposals on each, from others. */
async function seedJobs(users: SeededUser[]) {
  const clients = users.filter((_, i) => i % 4 === 1);
  const jobs = await each('jobs posted', clients, async (client, i) => {
    const { postJob } = await graphql<{ postJob: { id: string } }>(
      'mutation($input: PostJobInput!) { postJob(input: $input) { id } }',
      { input: { title: `Job ${i + 1}: ${random.pick(SKILLS)} help`, description: 'Seeded job', skills: random.sample(SKILLS, random.int(1, 3)), budgetCents: random.int(50, 500) * 1000 } },
      client.token,
    );
    return { id: postJob.id, client };
  });
  const proposals = jobs.flatMap((job) =>
    random.sample(users.filter((user) => user !== job.client), random.int(1, 4)).map((freelancer) => ({ job, freelancer })),
  );
  const dueDate = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  await each('proposals submitted', proposals, ({ job, freelancer }) =>
    graphql(
      'mutation($jobId: ID!, $input: ProposalInput!) { submitProposal(jobId: $jobId, input: $input) { id } }',
      { jobId: job.id, input: { coverLetter: 'I have shipped this kind of work before and can start this week.', jobDuration: 'LESS_THAN_A_MONTH', milestones: [{ description: 'All of it', amountCents: random.int(50, 500) * 1000, dueDate }] } },
      freelancer.token,
    ),
  );
}

/** Every user takes one or two quizzes, answering at random. */
async function seedQuizAttempts(users: SeededUser[]) {
  const { quizzes } = await graphql<{ quizzes: Array<{ id: string; questions: Array<{ id: string; choices: Array<{ id: string }> }> }> }>(
    '{ quizzes { id questions { id choices { id } } } }',
  );
  if (!quizzes.length) return console.log('  quiz attempts: skipped, the catalog is empty');
  const takes = users.flatMap((user) => random.sample(quizzes, random.int(1, 2)).map((quiz) => ({ user, quiz })));
  await each('quiz attempts submitted', takes, async ({ user, quiz }) => {
    const { startQuiz } = await graphql<{ startQuiz: { id: string } }>('mutation($quizId: ID!) { startQuiz(quizId: $quizId) { id } }', { quizId: quiz.id }, user.token);
    const answers = quiz.questions.map((question) => ({ questionId: question.id, choiceId: random.pick(question.choices).id }));
    return graphql('mutation($attemptId: ID!, $answers: [AnswerInput!]!) { submitQuizAttempt(attemptId: $attemptId, answers: $answers) { id } }', { attemptId: startQuiz.id, answers }, user.token);
  });
}

async function main() {
  const { queries, mutations } = await rootFields();
  console.log(`Seeding ${GATEWAY_URL}`);
  const users = await seedUsers();
  const parts: Array<{ name: string; needs: string[]; seed(users: SeededUser[]): Promise<void> }> = [
    { name: 'teams', needs: ['createTeam', 'requestToJoin', 'acceptJoinRequest'], seed: seedTeams },
    { name: 'jobs', needs: ['postJob', 'submitProposal'], seed: seedJobs },
    { name: 'quiz attempts', needs: ['quizzes', 'startQuiz', 'submitQuizAttempt'], seed: seedQuizAttempts },
  ];
  for (const part of parts) {
    const missing = part.needs.filter((name) => !queries.has(name) && !mutations.has(name));
    if (missing.length) console.log(`  ${part.name}: skipped, the supergraph has no ${missing.join(', ')}`);
    else await part.seed(users);
  }
  if (users[0]) console.log(`Done. Sign in as any of them, e.g. ${users[0].email}, with the password "${PASSWORD}".`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});

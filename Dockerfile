# One image for every service: `docker run skillgraph <service>` (gateway, users, teams, jobs, quizzes, notifications).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# tsx runs the TypeScript sources directly: it is a runtime dependency, kept by --omit=dev.
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The JWT key pair is generated here on first start and shared by every service through a volume.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
# The same command as `npm start` (package.json), flags included: a test keeps the two equal.
ENTRYPOINT ["node", "--max-semi-space-size=32", "--import", "tsx", "main.ts"]

# Image for the engine's own processes (worker, projector, API) in docker-compose.yml.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production KAFKAJS_NO_PARTITIONER_WARNING=1
CMD ["npx", "tsx", "workers/temporal-worker.ts"]

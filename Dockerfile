# Berth on Node 24 LTS. Build: docker build -t berth .   Run: see docker-compose.yml.
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
# redis-server for the embedded default (used only when REDIS_URL is unset).
RUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY openapi ./openapi
# The app catalogue shipped with Berth (read at start-up).
COPY services/apps/catalogue ./services/apps/catalogue
ENV BERTH_DATA_DIR=/data NODE_ENV=production
VOLUME /data
EXPOSE 3000 6060
ENTRYPOINT ["node", "dist/cli/berth.js"]
CMD ["serve"]

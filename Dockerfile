# kompart image: the one `kompart` program, registry or peer depending on its arguments.
#   docker build -t kompart .
#   docker run --rm kompart --help
# Multi-stage: the build stage has the toolchain (TypeScript, buf, ts-proto); the runtime
# stage has only production dependencies and compiled JavaScript, and runs as `node`.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY protos protos
COPY packages packages
# Install scripts are skipped (node-pty, a test-only native module, would need a compiler);
# the build generates the gRPC code from protos/ with buf and ts-proto, then compiles.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && find packages -name '*.tsbuildinfo' -delete \
 && rm -rf packages/*/src packages/*/test

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    KOMPART_DOWNLOADS=/data/downloads \
    KOMPART_CACHE_DIR=/data/cache
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/packages packages
COPY docker/healthcheck.js /app/healthcheck.js
# The `kompart` command is the package's sh launcher (glibc allocator settings, then
# `exec node dist/bin.js`): the program runs as PID 1 and gets docker's signals itself.
RUN ln -s /app/packages/kompart/bin/kompart /usr/local/bin/kompart \
 && mkdir -p /data/downloads /data/cache /data/share \
 && chown -R node:node /data
USER node
EXPOSE 50051 50052 8080 9464
# Registry: the standard gRPC health service. Peer: its FileService port accepts
# connections. KOMPART_HEALTH says which (set per service in docker-compose.yml).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["node", "/app/healthcheck.js"]
ENTRYPOINT ["kompart"]
CMD ["--help"]

# syntax=docker/dockerfile:1
# corsgate serve as a container image (docs/deploy.md "Container image").
#   docker build -t corsgate .
#   docker run --read-only -p 8080:8080 \
#     -v "$PWD/allowed_origins.list:/config/allowed_origins.list:ro" \
#     -e CORSGATE_UPSTREAM=http://api.internal:3000 corsgate
# test/deploy.test.ts lints this file and runs the runtime stage's command from the same paths.

ARG NODE_IMAGE=node:20-bookworm-slim

# Stage 1: install every dependency, compile, then drop the development ones.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/corsgate/package.json packages/corsgate/
COPY packages/redis/package.json packages/redis/
COPY packages/gateway/package.json packages/gateway/
COPY bench/package.json bench/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY scripts/tsup-package.mjs scripts/
COPY packages/corsgate/ packages/corsgate/
COPY packages/redis/ packages/redis/
COPY packages/gateway/ packages/gateway/
# docs/packaging.md: each package's build (tsup), in workspace order.
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# Stage 2: only what runs. No shell use, no package manager calls, no writes at run time: the
# gateway logs to stdout and reads its allowlist from a mounted file, so --read-only holds.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    CORSGATE_HOST=0.0.0.0 \
    CORSGATE_PORT=8080 \
    CORSGATE_ADMIN_HOST=127.0.0.1 \
    CORSGATE_ADMIN_PORT=9901 \
    CORSGATE_ALLOWLIST=/config/allowed_origins.list
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages/corsgate/package.json ./packages/corsgate/package.json
COPY --from=build /src/packages/corsgate/dist ./packages/corsgate/dist
COPY --from=build /src/packages/redis/package.json ./packages/redis/package.json
COPY --from=build /src/packages/redis/dist ./packages/redis/dist
COPY --from=build /src/packages/gateway/package.json ./packages/gateway/package.json
COPY --from=build /src/packages/gateway/dist ./packages/gateway/dist
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
# The node image's unprivileged user, by number so runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 9901
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "/app/deploy/healthcheck.mjs"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/packages/gateway/dist/cli/bin.js"]
CMD ["serve"]

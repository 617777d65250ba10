# bmc-gateway in a container:  docker build -t bmc-gateway .
# (containers/build-images.sh gateway builds the same image with PREBUILT=1: dist/ and the production
# node_modules made on the host and copied in, for machines where a build container has no network.)
ARG BASE=node:20-bookworm-slim

# Build stage: install everything (TypeScript is a dev dependency), compile to dist/, then keep only
# the production dependencies.
FROM ${BASE} AS build
ARG PREBUILT=0
LABEL org.bmc-gateway.stage=build
WORKDIR /app
COPY . .
RUN if [ "$PREBUILT" = 1 ]; then test -f dist/src/cli.js && test -d node_modules; \
    else npm ci && npm run build && npm prune --omit=dev && npm cache clean --force; fi

# Runtime stage: production dependencies, the compiled code, the web page and the Java viewer's
# session script (java.runtime: process); runs as non-root.
FROM ${BASE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web ./web
COPY --from=build /app/containers/java-viewer/session.sh ./containers/java-viewer/session.sh
USER node
EXPOSE 8080
ENTRYPOINT ["node", "--no-memory-reducer", "dist/src/cli.js"]
CMD ["serve", "--config", "/etc/bmc-gateway/gateway.yaml"]

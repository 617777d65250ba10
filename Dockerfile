# Build stage: install everything (TypeScript is a dev dependency) and compile to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY protocols ./protocols
COPY src ./src
COPY web ./web
RUN npm ci && npm run build

# Runtime stage: production dependencies, the compiled code and the web page; runs as non-root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY web ./web
USER node
EXPOSE 8080
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve", "--config", "/etc/bmc-gateway/gateway.yaml"]

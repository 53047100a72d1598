# One image per function: FUNCTION_FOLDER picks the folder under functions/, FUNCTION_TARGET the
# functions-framework target it registers. skaffold.yaml builds each with its own build args.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY shared ./shared
COPY functions ./functions
COPY scripts/bundle.ts ./scripts/bundle.ts
# Each function runs from one bundled file (scripts/bundle.ts): a third faster to start.
RUN npx tsc -p . && node dist/scripts/bundle.js && npm prune --omit=dev

FROM node:22-bookworm-slim
ARG FUNCTION_FOLDER
ARG FUNCTION_TARGET
# The framework serves FUNCTION_TARGET from FUNCTION_SOURCE on $PORT (Knative sets it to 8080).
# The preload pins the listen host when DDO_BIND_HOST is set, renders framework errors as
# problem+json and starts OpenTelemetry when OTEL_TRACES_EXPORTER asks for it.
ENV NODE_ENV=production \
    PORT=8080 \
    FUNCTION_TARGET=${FUNCTION_TARGET} \
    FUNCTION_SOURCE=/app/dist/bundles/${FUNCTION_FOLDER} \
    NODE_OPTIONS=--require=/app/dist/shared/runtime/preload.js
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
# The preload and the precompiled validators the bundles load from their own files.
COPY --from=build /app/dist/shared ./dist/shared
COPY --from=build /app/dist/bundles ./dist/bundles
# Agent definitions, their policies, and the ServiceEntries the executor's egress guard reads.
COPY agents ./agents
COPY policies ./policies
COPY istio ./istio
# The api-gateway serves the inspector page and the OpenAPI document from these.
COPY docs/openapi.yaml ./docs/openapi.yaml
COPY functions/api-gateway/ui ./functions/api-gateway/ui
# The node image's user, by number, so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080
CMD ["node", "node_modules/@google-cloud/functions-framework/build/src/main.js"]

# One image for the worker and the approval server: docker-compose.yml picks
# the process with its command (`node bin/mlops.js worker` or
# `node bin/mlops.js approvals serve`).

FROM node:20.19-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips the package's own prepare script, a full build that
# needs the sources copied below. npm rebuild then runs the install scripts
# of the dependencies and, as tried with npm 10.9, no prepare script.
RUN npm ci --ignore-scripts && npm rebuild
COPY . .
# tsc emits only the TypeScript sources, so the local provider's plain .js
# files (the processes it starts) are copied beside their compiled callers.
RUN npx tsc -p . \
 && mkdir -p dist/activities/provider/local \
 && cp activities/provider/local/*.js dist/activities/provider/local/ \
 && npm prune --omit=dev

FROM node:20.19-slim
ENV NODE_ENV=production \
    MLOPS_HOME=/var/lib/mlops
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The example projects, so `mlops` commands in the container can run them.
COPY --from=build /app/examples ./examples
# A named volume mounted here on first use takes over this owner, so the
# unprivileged node user can write the state folder.
RUN mkdir -p /var/lib/mlops && chown node:node /var/lib/mlops
USER node
CMD ["node", "bin/mlops.js", "--help"]

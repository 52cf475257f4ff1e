FROM node:20-alpine as Builder
ARG API_TOKEN=abc
ENV DB_PASSWORD=hunter2
WORKDIR app
COPY . $APP_HOME/src
MAINTAINER someone@example.com
ENV FOO bar
EXPOSE 8080/TCP
CMD node server.js
CMD node other.js

FROM builder AS final
run echo hi
ENTRYPOINT node server.js

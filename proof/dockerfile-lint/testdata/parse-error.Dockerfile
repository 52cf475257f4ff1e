FROM alpine
RUN --mount=type=bogus,target=/x echo hi
COPY

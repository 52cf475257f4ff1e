# check=experimental=all
FROM alpine:3.20 AS scratch
FROM alpine:3.20 AS dup
FROM alpine:3.20 AS dup
# this comment does not describe the stage
FROM alpine:3.20 AS described
RUN apk add \

    curl
CMD ["sh"]

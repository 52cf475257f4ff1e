ARG VARIANT=3.20
FROM alpine:${VARIANTT:-3.20} AS tagged
FROM --platform=$TARGETPLATFORM alpine:3.20 AS plat
FROM --platform=linux/amd64 alpine:3.20 AS constplat
FROM alpine:3.20 AS final
EXPOSE 127.0.0.1:8080:80
ENV PATH=$PATH:/opt/bin
ENV GOPATH=$JAVA_HOME/go
CMD ["sh"]

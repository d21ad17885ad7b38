# ImageEmbed in a container: `imageembed serve` from a self-contained linux release (scripts/publish.sh) on the
# .NET runtime-deps image (glibc, libstdc++, OpenSSL: all the release's native libraries need; no .NET inside).
#
#   docker build -t imageembed .                      # linux/amd64 or linux/arm64, as the builder runs
#   docker run -d --name imageembed -p 8080:8080 \
#     -v imageembed-data:/data -v imageembed-models:/models \
#     -e IMAGEEMBED_API_KEYS=change-me --stop-timeout 35 imageembed
#
# docs/DEPLOY.md has the GPU variant, sizing, backups and upgrades.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
# amd64 -> linux-x64, arm64 -> linux-arm64
RUN rid="linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" \
 && scripts/publish.sh --out /out --artifacts-path /tmp/artifacts "$rid" \
 && mv "/out/imageembed-$rid" /app

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
# curl only for the health check.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data /models && chown app:app /data /models
COPY --from=build /app /app
# The data folder (collections, keys, jobs, caches) and the models each in a volume; the image itself is read-only.
ENV IMAGEEMBED_DATA_DIR=/data \
    IMAGEEMBED_MODELS_DIR=/models \
    IMAGEEMBED_URLS=http://0.0.0.0:8080
VOLUME ["/data", "/models"]
EXPOSE 8080
# The .NET images' non-root user (uid 1654).
USER app
# Ready = the default model is loaded; the first start may download it (606 MB), hence the long start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10m --retries=3 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
# SIGTERM: stop accepting, finish requests in flight (up to 30 s), close the stores; give docker stop that long.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/imageembed"]
CMD ["serve"]

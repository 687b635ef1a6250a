# The Pulse service from its fat jar. Build the jar first (in a git checkout, so /__version__ knows the commit):
#   mvn -B package -DskipTests && docker build -t pulse .
FROM eclipse-temurin:17-jre

RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/pulse --create-home pulse
COPY app/target/pulse.jar /opt/pulse/pulse.jar
COPY scripts/jvm.options /opt/pulse/jvm.options

# Without PULSE_DB_URL the service runs an embedded PostgreSQL whose data live here.
ENV PULSE_DATA_DIR=/var/lib/pulse \
    PULSE_HTTP_PORT=8080
VOLUME /var/lib/pulse
WORKDIR /var/lib/pulse
USER pulse
EXPOSE 8080

# No curl or wget is needed: bash opens the socket itself.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/${PULSE_HTTP_PORT} && printf "GET /__lbheartbeat__ HTTP/1.0\r\n\r\n" >&3 && head -n 1 <&3 | grep -q " 200 "'

# Exec form: java is PID 1 and gets SIGTERM itself, finishes what is in flight and exits 0.
# The JVM flags (serial GC, a modest heap: peak resident memory near 200 MB) are those of scripts/jvm.options.
ENTRYPOINT ["java", "@/opt/pulse/jvm.options", "-jar", "/opt/pulse/pulse.jar"]

// The peer of jiayuan's Kafka end-to-end benchmark: what a team would write instead with Kafka
// Streams. It reads the same departments' inbox topics the engine read (the same facts), and
// folds each community's facts into a RocksDB state store, exactly once (exactly_once_v2, as
// the engine's intake writes in Kafka transactions). Written for this benchmark only.
//
//   java -cp "$(tests/bench/peer/fetch)/*" tests/bench/peer/StreamsPeer.java \
//        BOOTSTRAP TOPIC_PREFIX EXPECTED_FACTS STATE_DIR
// (credentials from JIAYUAN_KAFKA_SECURITY_PROTOCOL, _SASL_MECHANISM, _USERNAME, _PASSWORD)
//
// It does less than the engine: no schema validation, authority, dedupe, rules, decisions or
// projections; per fact it parses the JSON and updates the community's aggregate (counts by
// type, complaints substantiated and late, inspection scores). Prints one "json {...}" line.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;

public class StreamsPeer {
  static final ObjectMapper JSON = new ObjectMapper();

  // One community's fold.
  public static class Fold {
    public long facts;
    public long complaints;
    public long substantiated;
    public long late;
    public long inspections;
    public double inspectionScoreSum;
    public TreeMap<String, Long> byType = new TreeMap<>();

    Fold add(JsonNode fact) {
      facts++;
      String type = fact.path("type").asText();
      byType.merge(type, 1L, Long::sum);
      JsonNode data = fact.path("data");
      if (type.equals("jiayuan.hotline.complaint")) {
        complaints++;
        if (data.path("substantiated").asBoolean()) substantiated++;
        if (!data.path("on_time").asBoolean(true)) late++;
      } else if (type.equals("jiayuan.inspection")) {
        inspections++;
        for (JsonNode s : data.path("scores")) inspectionScoreSum += s.asDouble();
      }
      return this;
    }
  }

  static Serde<Fold> foldSerde() {
    Serializer<Fold> ser = (topic, f) -> {
      try {
        return JSON.writeValueAsBytes(f);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    };
    Deserializer<Fold> de = (topic, bytes) -> {
      try {
        return bytes == null ? null : JSON.readValue(bytes, Fold.class);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    };
    return Serdes.serdeFrom(ser, de);
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String prefix = args[1];
    long expected = Long.parseLong(args[2]);
    String stateDir = args[3];
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, prefix.replaceAll("[^A-Za-z0-9._-]", "_") + "streams-peer");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    p.put("auto.offset.reset", "earliest");
    String protocol = System.getenv().getOrDefault("JIAYUAN_KAFKA_SECURITY_PROTOCOL", "plaintext");
    p.put("security.protocol", protocol.toUpperCase());
    if (protocol.toLowerCase().startsWith("sasl")) {
      String mechanism = System.getenv().getOrDefault("JIAYUAN_KAFKA_SASL_MECHANISM", "PLAIN");
      p.put("sasl.mechanism", mechanism);
      String module = mechanism.startsWith("SCRAM")
          ? "org.apache.kafka.common.security.scram.ScramLoginModule"
          : "org.apache.kafka.common.security.plain.PlainLoginModule";
      p.put("sasl.jaas.config", module + " required username=\"" + System.getenv("JIAYUAN_KAFKA_USERNAME")
          + "\" password=\"" + System.getenv("JIAYUAN_KAFKA_PASSWORD") + "\";");
    }

    AtomicLong processed = new AtomicLong();
    AtomicLong firstAt = new AtomicLong();
    StreamsBuilder b = new StreamsBuilder();
    b.stream(Pattern.compile(Pattern.quote(prefix + "jiayuan.inbox.") + ".*"),
             Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .aggregate(Fold::new, (community, value, fold) -> {
          if (processed.getAndIncrement() == 0) firstAt.set(System.nanoTime());
          try {
            return fold.add(JSON.readTree(value));
          } catch (Exception e) {
            return fold;  // not JSON: the engine would dead-letter it; the peer skips it
          }
        }, Materialized.<String, Fold, KeyValueStore<Bytes, byte[]>>as("community-fold")
            .withKeySerde(Serdes.String())
            .withValueSerde(foldSerde()));

    KafkaStreams streams = new KafkaStreams(b.build(), p);
    long started = System.nanoTime();
    streams.start();
    long deadline = started + 30L * 60 * 1_000_000_000L;
    while (processed.get() < expected && System.nanoTime() < deadline) Thread.sleep(1);
    long lastAt = System.nanoTime();
    streams.close();  // commits the last transaction and flushes the store
    long closed = System.nanoTime();
    streams.cleanUp();
    double foldS = (lastAt - firstAt.get()) / 1e9;
    System.out.printf("json {\"facts\":%d,\"fold_s\":%.3f,\"facts_per_s\":%.1f,\"with_startup_and_close_s\":%.3f}%n",
                      processed.get(), foldS, processed.get() / foldS, (closed - started) / 1e9);
    System.exit(processed.get() >= expected ? 0 : 1);
  }
}

// A department's Java client logging in with SASL/SCRAM-SHA-256 (what Debian's librdkafka 2.0.2
// cannot do against Kafka 4.x): sends one record and says whether the broker took it.
//   java -cp 'KAFKA_LIBS/*' ScramProducer.java BOOTSTRAP USER PASSWORD TOPIC VALUE
// Prints "accepted" (exit 0) or "refused: <exception>" (exit 2).
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class ScramProducer {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    p.put("security.protocol", "SASL_PLAINTEXT");
    p.put("sasl.mechanism", "SCRAM-SHA-256");
    p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + args[1] + "\" password=\"" + args[2] + "\";");
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    p.put("enable.idempotence", "false");
    p.put("max.block.ms", "15000");
    p.put("delivery.timeout.ms", "15000");
    p.put("request.timeout.ms", "10000");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      producer.send(new ProducerRecord<>(args[3], "key", args[4])).get(20, TimeUnit.SECONDS);
      System.out.println("accepted");
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.out.println("refused: " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
      System.exit(2);
    }
  }
}

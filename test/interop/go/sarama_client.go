// sarama 1.22 (Debian's golang-github-shopify-sarama-dev) driver for Brook's interop tests.
//
// sarama does not negotiate versions: it speaks the request versions of the Kafka version it is
// configured for. One run, against the broker at argv[1] with sarama configured as Kafka argv[2]
// (e.g. 2.1.0), creates topic argv[3] with 3 partitions, produces 12 keyed records with each of
// none, gzip, snappy and lz4 (acks=all, sync producer), tries zstd from 2.1, consumes everything in
// group argv[4] marking every offset, then produces one more record and consumes it in a second
// session of the same group. It prints one JSON object:
// {"sent": [...], "consumed": [...], "late": {...}, "resumed": [...], "zstdError": "..."}.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type record struct {
	Key       string `json:"key"`
	Value     string `json:"value"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

func fail(step string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", step, err)
	os.Exit(1)
}

func config(version string) *sarama.Config {
	cfg := sarama.NewConfig()
	v, err := sarama.ParseKafkaVersion(version)
	if err != nil {
		fail("version", err)
	}
	cfg.Version = v
	cfg.ClientID = "brook-sarama-test"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	return cfg
}

func produce(bootstrap string, cfg *sarama.Config, topic string, codec sarama.CompressionCodec, tag string, count int) []record {
	c := *cfg
	c.Producer.Compression = codec
	producer, err := sarama.NewSyncProducer([]string{bootstrap}, &c)
	if err != nil {
		fail("producer", err)
	}
	defer producer.Close()
	var sent []record
	for i := 0; i < count; i++ {
		key := fmt.Sprintf("key-%d", i%5)
		value := fmt.Sprintf("%s-%d", tag, i)
		partition, offset, err := producer.SendMessage(&sarama.ProducerMessage{
			Topic: topic, Key: sarama.StringEncoder(key), Value: sarama.StringEncoder(value),
		})
		if err != nil {
			fail("send "+tag, err)
		}
		sent = append(sent, record{key, value, partition, offset})
	}
	return sent
}

type collector struct {
	mu      sync.Mutex
	records []record
	want    int
	done    chan struct{}
	once    sync.Once
}

func (h *collector) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *collector) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *collector) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		h.records = append(h.records, record{string(m.Key), string(m.Value), m.Partition, m.Offset})
		n := len(h.records)
		h.mu.Unlock()
		s.MarkMessage(m, "")
		if n >= h.want {
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

func consume(bootstrap string, cfg *sarama.Config, topic, group string, want int) []record {
	g, err := sarama.NewConsumerGroup([]string{bootstrap}, group, cfg)
	if err != nil {
		fail("consumer group", err)
	}
	h := &collector{want: want, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, h); err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "consume: %v\n", err)
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	select {
	case <-h.done:
	case <-ctx.Done():
	}
	cancel()
	<-finished
	// Close commits the marked offsets and leaves the group.
	if err := g.Close(); err != nil {
		fail("close group", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.records
}

func main() {
	bootstrap, version, topic, group := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	cfg := config(version)
	admin, err := sarama.NewClusterAdmin([]string{bootstrap}, cfg)
	if err != nil {
		fail("admin", err)
	}
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1}, false); err != nil {
		fail("create topic", err)
	}
	admin.Close()
	var sent []record
	sent = append(sent, produce(bootstrap, cfg, topic, sarama.CompressionNone, "none", 12)...)
	sent = append(sent, produce(bootstrap, cfg, topic, sarama.CompressionGZIP, "gzip", 12)...)
	sent = append(sent, produce(bootstrap, cfg, topic, sarama.CompressionSnappy, "snappy", 12)...)
	sent = append(sent, produce(bootstrap, cfg, topic, sarama.CompressionLZ4, "lz4", 12)...)
	// sarama 1.22 sends zstd batches in Produce v3 whatever its version; Kafka takes zstd only
	// from Produce v7 (KIP-110). The broker's answer is reported, not fatal.
	zstdError := ""
	if cfg.Version.IsAtLeast(sarama.V2_1_0_0) {
		c := *cfg
		c.Producer.Compression = sarama.CompressionZSTD
		c.Producer.Retry.Max = 0
		producer, err := sarama.NewSyncProducer([]string{bootstrap}, &c)
		if err != nil {
			fail("producer", err)
		}
		_, _, err = producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("zstd")})
		if err != nil {
			zstdError = err.Error()
		}
		producer.Close()
	}
	consumed := consume(bootstrap, cfg, topic, group, len(sent))
	late := produce(bootstrap, cfg, topic, sarama.CompressionNone, "late", 1)[0]
	resumed := consume(bootstrap, cfg, topic, group, 1)
	out, _ := json.Marshal(map[string]interface{}{
		"sent": sent, "consumed": consumed, "late": late, "resumed": resumed, "zstdError": zstdError,
	})
	fmt.Println(string(out))
}

/*
 * librdkafka's ACL admin calls (rd_kafka_CreateAcls, rd_kafka_DescribeAcls, rd_kafka_DeleteAcls:
 * what confluent-kafka's AdminClient.create_acls, describe_acls and delete_acls call) for Brook's
 * interop tests, on Debian's librdkafka. Debian's python3-confluent-kafka (1.7) predates those
 * Python methods; the C library under it has them.
 *
 *   acl_admin <bootstrap> <user> <password> create <binding>...
 *   acl_admin <bootstrap> <user> <password> describe <filter>
 *   acl_admin <bootstrap> <user> <password> delete <filter>...
 *
 * A binding or filter is one argument, `type,name,pattern,principal,host,operation,permission`,
 * with librdkafka's (Kafka's) enum codes and `-` for a filter's null name, principal or host.
 * Logs in with SASL/PLAIN. Prints a line per result: `ok`, `error <NAME> <message>`, and each
 * binding described or deleted as `binding <type>,<name>,<pattern>,<principal>,<host>,<operation>,<permission>`
 * with librdkafka's enum names. Exits 0 when the request got an answer, 2 when the call failed.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *field(char **cursor) {
  char *start = *cursor;
  char *comma = strchr(start, ',');
  if (comma != NULL) {
    *comma = '\0';
    *cursor = comma + 1;
  } else {
    *cursor = start + strlen(start);
  }
  return strcmp(start, "-") == 0 ? NULL : start;
}

typedef struct {
  int type, pattern, operation, permission;
  char *name, *principal, *host;
} spec_t;

static spec_t parse_spec(char *text) {
  spec_t s;
  char *cursor = text;
  s.type = atoi(field(&cursor));
  s.name = field(&cursor);
  s.pattern = atoi(field(&cursor));
  s.principal = field(&cursor);
  s.host = field(&cursor);
  s.operation = atoi(field(&cursor));
  s.permission = atoi(field(&cursor));
  return s;
}

static void print_binding(const rd_kafka_AclBinding_t *b) {
  const char *name = rd_kafka_AclBinding_name(b);
  printf("binding %s,%s,%s,%s,%s,%s,%s\n", rd_kafka_ResourceType_name(rd_kafka_AclBinding_restype(b)),
         name == NULL ? "-" : name,
         rd_kafka_ResourcePatternType_name(rd_kafka_AclBinding_resource_pattern_type(b)),
         rd_kafka_AclBinding_principal(b), rd_kafka_AclBinding_host(b),
         rd_kafka_AclOperation_name(rd_kafka_AclBinding_operation(b)),
         rd_kafka_AclPermissionType_name(rd_kafka_AclBinding_permission_type(b)));
}

static void print_error(const rd_kafka_error_t *error) {
  if (error == NULL)
    printf("ok\n");
  else
    printf("error %s %s\n", rd_kafka_error_name(error), rd_kafka_error_string(error));
}

int main(int argc, char **argv) {
  char errstr[512];
  if (argc < 6) {
    fprintf(stderr, "usage: acl_admin bootstrap user password create|describe|delete spec...\n");
    return 64;
  }
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  const char *settings[][2] = {{"bootstrap.servers", argv[1]}, {"security.protocol", "SASL_PLAINTEXT"},
                               {"sasl.mechanisms", "PLAIN"},   {"sasl.username", argv[2]},
                               {"sasl.password", argv[3]}};
  for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
    if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      fprintf(stderr, "%s\n", errstr);
      return 64;
    }
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    fprintf(stderr, "%s\n", errstr);
    return 64;
  }
  rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t *options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
  rd_kafka_AdminOptions_set_request_timeout(options, 15000, errstr, sizeof(errstr));
  const char *op = argv[4];
  int count = argc - 5;
  int status = 0;
  if (strcmp(op, "create") == 0) {
    rd_kafka_AclBinding_t **bindings = calloc((size_t)count, sizeof(*bindings));
    for (int i = 0; i < count; i++) {
      spec_t s = parse_spec(argv[5 + i]);
      bindings[i] = rd_kafka_AclBinding_new(s.type, s.name, s.pattern, s.principal, s.host, s.operation,
                                            s.permission, errstr, sizeof(errstr));
      if (bindings[i] == NULL) {
        fprintf(stderr, "%s\n", errstr);
        return 64;
      }
    }
    rd_kafka_CreateAcls(rk, bindings, (size_t)count, options, queue);
  } else if (strcmp(op, "describe") == 0) {
    spec_t s = parse_spec(argv[5]);
    rd_kafka_AclBindingFilter_t *filter = rd_kafka_AclBindingFilter_new(
        s.type, s.name, s.pattern, s.principal, s.host, s.operation, s.permission, errstr, sizeof(errstr));
    if (filter == NULL) {
      fprintf(stderr, "%s\n", errstr);
      return 64;
    }
    rd_kafka_DescribeAcls(rk, filter, options, queue);
  } else {
    rd_kafka_AclBindingFilter_t **filters = calloc((size_t)count, sizeof(*filters));
    for (int i = 0; i < count; i++) {
      spec_t s = parse_spec(argv[5 + i]);
      filters[i] = rd_kafka_AclBindingFilter_new(s.type, s.name, s.pattern, s.principal, s.host, s.operation,
                                                 s.permission, errstr, sizeof(errstr));
      if (filters[i] == NULL) {
        fprintf(stderr, "%s\n", errstr);
        return 64;
      }
    }
    rd_kafka_DeleteAcls(rk, filters, (size_t)count, options, queue);
  }
  rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 30000);
  if (event == NULL) {
    printf("error _TIMED_OUT no result\n");
    status = 2;
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    printf("error %s %s\n", rd_kafka_err2name(rd_kafka_event_error(event)), rd_kafka_event_error_string(event));
    status = 2;
  } else if (strcmp(op, "create") == 0) {
    size_t n;
    const rd_kafka_acl_result_t **results =
        rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(event), &n);
    for (size_t i = 0; i < n; i++) print_error(rd_kafka_acl_result_error(results[i]));
  } else if (strcmp(op, "describe") == 0) {
    size_t n;
    const rd_kafka_AclBinding_t **bindings =
        rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(event), &n);
    printf("ok\n");
    for (size_t i = 0; i < n; i++) print_binding(bindings[i]);
  } else {
    size_t n;
    const rd_kafka_DeleteAcls_result_response_t **responses =
        rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(event), &n);
    for (size_t i = 0; i < n; i++) {
      print_error(rd_kafka_DeleteAcls_result_response_error(responses[i]));
      size_t m;
      const rd_kafka_AclBinding_t **matching =
          rd_kafka_DeleteAcls_result_response_matching_acls(responses[i], &m);
      for (size_t j = 0; j < m; j++) print_binding(matching[j]);
    }
  }
  if (event != NULL) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(rk);
  return status;
}

package dev.audiencesegmenter.pipelines;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.audiencesegmenter.clv.PurchaseCovariates;
import dev.audiencesegmenter.features.EngagementWeights;
import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/**
 * Command-line options of {@link SegmentationPipeline}; see data-formats.md and
 * pipelines/README.md.
 */
public interface SegmentationPipelineOptions extends PipelineOptions {

  @Description(
      "Customer events: a file pattern (glob) of JSON Lines or CSV files, .gz allowed, e.g. "
          + "'data/events/*'; files ending in .csv or .csv.gz are read as CSV. FORMAT:PATTERN "
          + "reads another tool's export: FORMAT is ga4, segment, mixpanel, amplitude or a "
          + "mapping file ending in .yaml. Repeat the option for several sources, or separate "
          + "them with commas (a Flex template's one parameter).")
  @Validation.Required
  List<String> getInput();

  void setInput(List<String> value);

  @Description("Optional profile attributes: a file pattern of JSON Lines or CSV files, or "
      + "FORMAT:PATTERN with FORMAT hubspot, salesforce, zoho, segment (its identify calls) "
      + "or a mapping file ending in .yaml. Repeat the option, or separate sources with "
      + "commas.")
  List<String> getProfiles();

  void setProfiles(List<String> value);

  @Description("Optional events from a database too: the JDBC URL of a PostgreSQL database "
      + "(jdbc:postgresql://host:port/db), read with --eventsQuery through --eventsMapping (an "
      + "orders table as purchases, say), besides the --input files.")
  String getEventsJdbcUrl();

  void setEventsJdbcUrl(String value);

  @Description("The SQL query whose rows are events (with --eventsJdbcUrl).")
  String getEventsQuery();

  void setEventsQuery(String value);

  @Description("How the rows of --eventsQuery become events: a mapping file ending in .yaml "
      + "over the query's column names (see io/README.md, 'Writing a mapping').")
  String getEventsMapping();

  void setEventsMapping(String value);

  @Description("A numeric column of --eventsQuery: the query is read in --eventsPartitions "
      + "ranges of it, in parallel. Without it the query is one read.")
  String getEventsPartitionColumn();

  void setEventsPartitionColumn(String value);

  @Description("How many ranges of --eventsPartitionColumn to read in parallel.")
  @Default.Integer(16)
  int getEventsPartitions();

  void setEventsPartitions(int value);

  @Description("User of the --eventsJdbcUrl database (or put it in the URL).")
  String getEventsJdbcUsername();

  void setEventsJdbcUsername(String value);

  @Description("Password of the --eventsJdbcUrl database, for local runs only (Direct "
      + "runner, Flink [local]): kept out of the job and its options. Elsewhere use "
      + "--eventsJdbcPasswordEnv or --eventsJdbcPasswordFile.")
  @JsonIgnore
  String getEventsJdbcPassword();

  void setEventsJdbcPassword(String value);

  @Description("Name of the environment variable holding the --eventsJdbcUrl password, read "
      + "by the workers.")
  String getEventsJdbcPasswordEnv();

  void setEventsJdbcPasswordEnv(String value);

  @Description("File holding the --eventsJdbcUrl password, read by the workers: a local "
      + "path, or a gs:// object on Dataflow.")
  String getEventsJdbcPasswordFile();

  void setEventsJdbcPasswordFile(String value);

  @Description("Optional profiles from a database: the JDBC URL of a PostgreSQL database "
      + "(jdbc:postgresql://host:port/db), read with --profilesQuery through --profilesMapping, "
      + "besides any --profiles files.")
  String getProfilesJdbcUrl();

  void setProfilesJdbcUrl(String value);

  @Description("The SQL query whose rows are profiles (with --profilesJdbcUrl), e.g. 'SELECT "
      + "id, email, phone, plan, updated_at FROM crm.contacts'.")
  String getProfilesQuery();

  void setProfilesQuery(String value);

  @Description("How the rows of --profilesQuery become profiles: a mapping file ending in .yaml "
      + "over the query's column names (see io/README.md, 'Writing a mapping'), or a built-in "
      + "profiles format (hubspot, salesforce, zoho) when the columns have its names.")
  String getProfilesMapping();

  void setProfilesMapping(String value);

  @Description("A numeric column of --profilesQuery (its key, say): the query is read in "
      + "--profilesPartitions ranges of it, in parallel. Without it the query is one read.")
  String getProfilesPartitionColumn();

  void setProfilesPartitionColumn(String value);

  @Description("How many ranges of --profilesPartitionColumn to read in parallel.")
  @Default.Integer(16)
  int getProfilesPartitions();

  void setProfilesPartitions(int value);

  @Description("User of the --profilesJdbcUrl database (or put it in the URL).")
  String getProfilesJdbcUsername();

  void setProfilesJdbcUsername(String value);

  @Description("Password of the --profilesJdbcUrl database, for local runs only (Direct "
      + "runner, Flink [local]): kept out of the job and its options. Elsewhere use "
      + "--profilesJdbcPasswordEnv or --profilesJdbcPasswordFile.")
  @JsonIgnore
  String getProfilesJdbcPassword();

  void setProfilesJdbcPassword(String value);

  @Description("Name of the environment variable holding the --profilesJdbcUrl password, "
      + "read by the workers.")
  String getProfilesJdbcPasswordEnv();

  void setProfilesJdbcPasswordEnv(String value);

  @Description("File holding the --profilesJdbcUrl password, read by the workers: a local "
      + "path, or a gs:// object on Dataflow.")
  String getProfilesJdbcPasswordFile();

  void setProfilesJdbcPasswordFile(String value);

  @Description("Segment definitions: a YAML file (see transforms/README.md, "
      + "'Segment definitions').")
  @Validation.Required
  String getSegments();

  void setSegments(String value);

  @Description(
      "The run's 'now': a date (2024-06-30, meaning the end of that day, UTC) or an instant "
          + "(2024-06-30T12:00:00Z). Events at or after it are ignored and every window ends "
          + "at it, except for consent: opt-outs recorded after it still apply. Default: the "
          + "end of today (UTC), logged.")
  String getAsOf();

  void setAsOf(String value);

  @Description("Output folder; identities/, features/, segments/, summary/, dead-letter/, "
      + "junk-identifiers/ and merges/ (and stability/, response/ with a previous run) are "
      + "written below it (their old part files are replaced), report/index.html, "
      + "report/summary.md and run-summary.json.")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description("ISO 3166 region used to read phone numbers written without a country code.")
  @Default.String("US")
  String getDefaultRegion();

  void setDefaultRegion(String value);

  @Description(
      "Optional JDBC URL of a PostgreSQL database (jdbc:postgresql://host:port/db). When set, "
          + "features and memberships are upserted into customer_features and "
          + "segment_memberships; rows that a run no longer produces are deleted.")
  String getJdbcUrl();

  void setJdbcUrl(String value);

  @Description("Database user (or put it in the JDBC URL).")
  String getJdbcUsername();

  void setJdbcUsername(String value);

  @Description("Database password (for --jdbcUrl and a jdbc: --syncState), for local runs "
      + "only (Direct runner, Flink [local]): kept in this process, out of the job and its "
      + "options. Elsewhere use --jdbcPasswordEnv or --jdbcPasswordFile. With none of the three, "
      + "the environment variable AUDIENCE_SEGMENTER_JDBC_PASSWORD is used when it is set.")
  @JsonIgnore
  String getJdbcPassword();

  void setJdbcPassword(String value);

  @Description("Name of the environment variable holding the database password, read where "
      + "the database is used: by the launching process (for the writer lock) and by the "
      + "workers.")
  String getJdbcPasswordEnv();

  void setJdbcPasswordEnv(String value);

  @Description("File holding the database password, read where the database is used (the "
      + "launching process and the workers): a local path, or a gs:// object on Dataflow.")
  String getJdbcPasswordFile();

  void setJdbcPasswordFile(String value);

  @Description("Google Cloud Secret Manager secret holding the database password, read where it is "
      + "used: projects/PROJECT/secrets/NAME/versions/VERSION. Needs the job jar built with "
      + "-Pdataflow and the Secret Manager Secret Accessor role for the workers' service "
      + "account.")
  String getJdbcPasswordSecret();

  void setJdbcPasswordSecret(String value);

  @Description(
      "Optional identity rules: a YAML file of identifier types in priority order with a "
          + "maximum per customer, max_fan_out, email_provider_rules and blocked_values (see "
          + "transforms/README.md, 'Identity resolution'). Default: the built-in rules.")
  String getIdentityRules();

  void setIdentityRules(String value);

  @Description(
      "Optional: the identities/ folder (or a file pattern) of a previous run. Customers keep "
          + "their ids; merges and splits are written to merges/.")
  String getPreviousIdentities();

  void setPreviousIdentities(String value);

  @Description(
      "Fit the lifetime value models (BG/NBD, Gamma-Gamma) and add p_alive, churn_risk, "
          + "expected purchases and predicted_clv_365d to features/; parameters go to "
          + "model/clv.json. The run fails, saying why, when the data cannot support a fit "
          + "(fewer than 10 repeat buyers); pass false to skip the models (a segment file "
          + "whose rules read value columns or value tiers is then refused).")
  @Default.Boolean(true)
  boolean getValueModels();

  void setValueModels(boolean value);

  @Description(
      "Optional end of a holdout period (a date or instant, like --asOf): the value models "
          + "are also checked out of sample, fitted on purchases before --asOf and compared "
          + "with the purchases in [asOf, holdoutEnd), BG/NBD and Pareto/NBD (and the purchase "
          + "model with --purchaseCovariates) side by side; written to "
          + "model/holdout-validation.json, "
          + "whose chosen_model has the smallest error per customer.")
  String getHoldoutEnd();

  void setHoldoutEnd(String value);

  @Description(
      "The model behind p_alive, the expected purchases and predicted_clv_365d: bg_nbd, "
          + "pareto_nbd (Gamma-Gamma gives the value per purchase with either) or auto: the "
          + "one that predicts the last --backtestWeeks before --asOf better per customer, "
          + "fitted on purchases before them (BG/NBD when that period is too short to fit); "
          + "the backtest's scores go to model/clv.json.")
  @Default.String("bg_nbd")
  String getPurchaseModel();

  void setPurchaseModel(String value);

  @Description(
      "Comma-separated categorical covariates of the purchase model's (BG/NBD's or "
          + "Pareto/NBD's) purchase and dropout rates: feature "
          + "columns (" + PurchaseCovariates.COLUMNS_DOC + ") or profile traits, each with 2 to "
          + "20 categories among buyers "
          + "(a missing value is the category '(none)'). Each customer's p_alive, expected "
          + "purchases and predicted_clv_365d then come from the model of their categories; "
          + "the fit, with standard errors, goes to model/clv.json (bg_nbd_covariates or "
          + "pareto_nbd_covariates), and with --holdoutEnd it is scored on the holdout as a "
          + "third model. With --purchaseModel=auto, each purchase model with the covariates "
          + "is a candidate too.")
  @Default.String("")
  String getPurchaseCovariates();

  void setPurchaseCovariates(String value);

  @Description("Weeks before --asOf that --purchaseModel=auto predicts to choose the model.")
  @Default.Integer(13)
  int getBacktestWeeks();

  void setBacktestWeeks(int value);

  @Description(
      "Days between subscription renewals: customers with a subscription_start and no "
          + "subscription_cancel after it get churn_risk from the sBG model of renewals "
          + "(churn_model sbg), fitted on every subscriber, and its discounted expected "
          + "residual lifetime at --discountRate (discounted_remaining_periods).")
  @Default.Integer(30)
  int getSubscriptionPeriodDays();

  void setSubscriptionPeriodDays(int value);

  @Description("Annual discount rate of predicted_clv_365d, in [0, 1).")
  @Default.Double(0.10)
  double getDiscountRate();

  void setDiscountRate(double value);

  @Description("Share of revenue that is margin, in (0, 1]; predicted_clv_365d is margin.")
  @Default.Double(1.0)
  double getMargin();

  void setMargin(double value);

  @Description(
      "Optional: the segments/ folder (or a file pattern) of a previous run. Adds movement "
          + "between the runs: stability/ (transition matrix per group) and entered, exited "
          + "and membership_churn in summary/ and the report.")
  String getPreviousSegments();

  void setPreviousSegments(String value);

  @Description(
      "Optional, with --previousSegments: the --asOf of that previous run. Purchases in "
          + "[previousAsOf, asOf) are conversions; response/ compares the previous run's "
          + "treated members with its holdout per segment (z-test).")
  String getPreviousAsOf();

  void setPreviousAsOf(String value);

  @Description("Segments smaller than this are flagged as not substantial, unless the segment "
      + "file gives a min_size.")
  @Default.Long(100)
  long getMinSegmentSize();

  void setMinSegmentSize(long value);

  @Description("Input lines longer than this many bytes are rejected to dead-letter/.")
  @Default.Integer(1 << 20)
  int getMaxLineBytes();

  void setMaxLineBytes(int value);

  @Description("Input records with more identifiers than this are rejected to dead-letter/: "
      + "all of a record's identifiers become one customer.")
  @Default.Integer(50)
  int getMaxIdentifiersPerRecord();

  void setMaxIdentifiersPerRecord(int value);

  @Description("Number of output files per folder; 0 lets the runner decide.")
  @Default.Integer(0)
  int getNumShards();

  void setNumShards(int value);

  @Description("Records and customers are spread over this many groups (a hash of their key) "
      + "in each grouping step; a worker holds one group at a time. Default: 4 on the Direct "
      + "runner, which cuts one bundle per group and pays for every bundle of every step; 256 "
      + "on the others, where many groups share the work evenly among the workers (with 16 on "
      + "two Flink workers one got 10 and finished a third later). Raise it for tens of "
      + "millions of records.")
  @Default.InstanceFactory(GroupsFactory.class)
  int getGroups();

  void setGroups(int value);

  @Description("How the identity graph is resolved: oneWorker (default: the distinct "
      + "identifier sets gathered on one worker and resolved in memory, about 100 bytes per "
      + "identifier) or distributed (rounds of shuffles over all workers, for graphs larger "
      + "than a worker holds).")
  @Default.String("oneWorker")
  String getIdentityGraph();

  void setIdentityGraph(String value);

  @Description("With --identityGraph=oneWorker, a graph with more distinct identifiers than "
      + "this fails the run, pointing to --identityGraph=distributed.")
  @Default.Long(50_000_000L)
  long getMaxIdentifiersOnOneWorker();

  void setMaxIdentifiersOnOneWorker(long value);

  // ---- Activation (see io/README.md, "Activation") ----

  @Description("Comma-separated platforms to sync customers and segments to: hubspot, "
      + "mailchimp, klaviyo, braze, salesforce, zoho, kit. Empty: no activation.")
  String getSinks();

  void setSinks(String value);

  @Description("YAML file mapping feature columns and segments to each platform's fields, "
      + "lists, tags or attributes (see io/README.md, 'Sink mapping').")
  String getSinkMapping();

  void setSinkMapping(String value);

  @Description("Where the delta-sync state lives, required with --sinks: a folder (one "
      + "subfolder per platform) or a jdbc:postgresql: URL (tables sync_state_<platform>; "
      + "--jdbcUsername/--jdbcPassword apply). Use the same location for every run: it is what "
      + "tells a run which customers each platform holds, so a state under a new output "
      + "folder per run would never remove anyone.")
  String getSyncState();

  void setSyncState(String value);

  @Description("Older spelling of --syncState with a folder.")
  String getSyncStateDir();

  void setSyncStateDir(String value);

  @Description("Older spelling of --syncState with a jdbc:postgresql: URL.")
  String getSyncStateJdbcUrl();

  void setSyncStateJdbcUrl(String value);

  // ---- Rails on destructive steps (see io/README.md, "Safety") ----

  @Description("Share of customers a run may lose against the previous run (the PostgreSQL "
      + "tables of --jdbcUrl, the sync state of each sink) before its deletes and exits are "
      + "refused: upserts still run, and what would have been removed is listed in "
      + "<output>/refused/<destination>.jsonl.")
  @Default.Double(0.20)
  double getMaxCustomerDrop();

  void setMaxCustomerDrop(double value);

  @Description("Share of the memberships a destination holds that a run may end (exits, "
      + "deleted membership rows) before its deletes and exits are refused, as for "
      + "--maxCustomerDrop.")
  @Default.Double(0.20)
  double getMaxExitShare();

  void setMaxExitShare(double value);

  @Description("Carry out deletes and exits beyond --maxCustomerDrop and --maxExitShare (a "
      + "real change confirmed). A run without customers still removes nothing.")
  @Default.Boolean(false)
  boolean getAllowLargeChanges();

  void setAllowLargeChanges(boolean value);

  @Description("Send every customer, not only those changed since the last sync.")
  @Default.Boolean(false)
  boolean getFullResync();

  void setFullResync(boolean value);

  @Description("Write the requests the sinks would send into <output>/activation-dry-run/ "
      + "instead of sending them; the sync state is left unchanged.")
  @Default.Boolean(false)
  boolean getDryRun();

  void setDryRun(boolean value);

  @Description("HubSpot API base URL.")
  @Default.String("https://api.hubapi.com")
  String getHubspotBaseUrl();

  void setHubspotBaseUrl(String value);

  @Description("HubSpot private-app access token, for local runs only (Direct runner, Flink "
      + "[local]): kept in this process, out of the job and its options. Elsewhere use "
      + "--hubspotAccessTokenEnv or --hubspotAccessTokenFile.")
  @JsonIgnore
  String getHubspotAccessToken();

  void setHubspotAccessToken(String value);

  @Description("Name of the environment variable holding the HubSpot private-app access token, "
      + "read on the workers. Default on local runs: HUBSPOT_ACCESS_TOKEN.")
  String getHubspotAccessTokenEnv();

  void setHubspotAccessTokenEnv(String value);

  @Description("File holding the HubSpot private-app access token, read on the workers: a local "
      + "path, or a gs:// object on Dataflow.")
  String getHubspotAccessTokenFile();

  void setHubspotAccessTokenFile(String value);

  @Description("Google Cloud Secret Manager secret holding the HubSpot private-app access token, "
      + "read where it is used: projects/PROJECT/secrets/NAME/versions/VERSION. Needs the job"
      + " jar built with -Pdataflow and the Secret Manager Secret Accessor role for the "
      + "workers' service account.")
  String getHubspotAccessTokenSecret();

  void setHubspotAccessTokenSecret(String value);

  @Description("Mailchimp API base URL, e.g. https://us21.api.mailchimp.com/3.0. Default: the "
      + "data center named by the API key's suffix.")
  String getMailchimpBaseUrl();

  void setMailchimpBaseUrl(String value);

  @Description("Mailchimp API key, for local runs only (Direct runner, Flink [local]): kept in "
      + "this process, out of the job and its options. Elsewhere use --mailchimpApiKeyEnv or "
      + "--mailchimpApiKeyFile.")
  @JsonIgnore
  String getMailchimpApiKey();

  void setMailchimpApiKey(String value);

  @Description("Name of the environment variable holding the Mailchimp API key, read on the "
      + "workers. Default on local runs: MAILCHIMP_API_KEY.")
  String getMailchimpApiKeyEnv();

  void setMailchimpApiKeyEnv(String value);

  @Description("File holding the Mailchimp API key, read on the workers: a local path, or a gs:// "
      + "object on Dataflow.")
  String getMailchimpApiKeyFile();

  void setMailchimpApiKeyFile(String value);

  @Description("Google Cloud Secret Manager secret holding the Mailchimp API key, read where it is "
      + "used: projects/PROJECT/secrets/NAME/versions/VERSION. Needs the job jar built with "
      + "-Pdataflow and the Secret Manager Secret Accessor role for the workers' service "
      + "account.")
  String getMailchimpApiKeySecret();

  void setMailchimpApiKeySecret(String value);

  @Description("Mailchimp audience (list) id; or mailchimp.list_id in --sinkMapping.")
  String getMailchimpListId();

  void setMailchimpListId(String value);

  @Description("Klaviyo API base URL.")
  @Default.String("https://a.klaviyo.com")
  String getKlaviyoBaseUrl();

  void setKlaviyoBaseUrl(String value);

  @Description("Klaviyo private API key, for local runs only (Direct runner, Flink [local]): kept "
      + "in this process, out of the job and its options. Elsewhere use --klaviyoApiKeyEnv or "
      + "--klaviyoApiKeyFile.")
  @JsonIgnore
  String getKlaviyoApiKey();

  void setKlaviyoApiKey(String value);

  @Description("Name of the environment variable holding the Klaviyo private API key, read on the "
      + "workers. Default on local runs: KLAVIYO_API_KEY.")
  String getKlaviyoApiKeyEnv();

  void setKlaviyoApiKeyEnv(String value);

  @Description("File holding the Klaviyo private API key, read on the workers: a local path, or a "
      + "gs:// object on Dataflow.")
  String getKlaviyoApiKeyFile();

  void setKlaviyoApiKeyFile(String value);

  @Description("Google Cloud Secret Manager secret holding the Klaviyo private API key, read where "
      + "it is used: projects/PROJECT/secrets/NAME/versions/VERSION. Needs the job jar built "
      + "with -Pdataflow and the Secret Manager Secret Accessor role for the workers' service"
      + " account.")
  String getKlaviyoApiKeySecret();

  void setKlaviyoApiKeySecret(String value);

  @Description("Braze REST endpoint of your instance.")
  @Default.String("https://rest.iad-01.braze.com")
  String getBrazeBaseUrl();

  void setBrazeBaseUrl(String value);

  @Description("Braze REST API key, for local runs only (Direct runner, Flink [local]): kept in "
      + "this process, out of the job and its options. Elsewhere use --brazeApiKeyEnv or "
      + "--brazeApiKeyFile.")
  @JsonIgnore
  String getBrazeApiKey();

  void setBrazeApiKey(String value);

  @Description("Name of the environment variable holding the Braze REST API key, read on the "
      + "workers. Default on local runs: BRAZE_API_KEY.")
  String getBrazeApiKeyEnv();

  void setBrazeApiKeyEnv(String value);

  @Description("File holding the Braze REST API key, read on the workers: a local path, or a gs:// "
      + "object on Dataflow.")
  String getBrazeApiKeyFile();

  void setBrazeApiKeyFile(String value);

  @Description("Google Cloud Secret Manager secret holding the Braze REST API key, read where "
      + "it is used: projects/PROJECT/secrets/NAME/versions/VERSION. Needs the job jar built with "
      + "-Pdataflow and the Secret Manager Secret Accessor role for the workers' service "
      + "account.")
  String getBrazeApiKeySecret();

  void setBrazeApiKeySecret(String value);

  @Description("Salesforce instance URL, e.g. https://mycompany.my.salesforce.com (required "
      + "with --sinks=salesforce: Salesforce has no common host).")
  String getSalesforceBaseUrl();

  void setSalesforceBaseUrl(String value);

  @Description("Salesforce OAuth access token, for local runs only (Direct runner, Flink "
      + "[local]): kept in this process, out of the job and its options. Elsewhere use "
      + "--salesforceAccessTokenEnv or --salesforceAccessTokenFile.")
  @JsonIgnore
  String getSalesforceAccessToken();

  void setSalesforceAccessToken(String value);

  @Description("Name of the environment variable holding the Salesforce OAuth access token, read "
      + "on the workers. Default on local runs: SALESFORCE_ACCESS_TOKEN.")
  String getSalesforceAccessTokenEnv();

  void setSalesforceAccessTokenEnv(String value);

  @Description("File holding the Salesforce OAuth access token, read on the workers: a local "
      + "path, or a gs:// object on Dataflow.")
  String getSalesforceAccessTokenFile();

  void setSalesforceAccessTokenFile(String value);

  @Description("Google Cloud Secret Manager secret holding the Salesforce access token, read where "
      + "it is used: projects/PROJECT/secrets/NAME/versions/VERSION. Needs the job jar built "
      + "with -Pdataflow and the Secret Manager Secret Accessor role for the workers' service"
      + " account.")
  String getSalesforceAccessTokenSecret();

  void setSalesforceAccessTokenSecret(String value);

  @Description("Salesforce Bulk API 2.0 ingest jobs: auto (for batches of at least "
      + "--salesforceBulkThreshold records), always, or never (sObject Collections only).")
  @Default.String("auto")
  String getSalesforceBulk();

  void setSalesforceBulk(String value);

  @Description("Smallest batch sent as a Salesforce Bulk API 2.0 job with --salesforceBulk=auto.")
  @Default.Integer(2000)
  int getSalesforceBulkThreshold();

  void setSalesforceBulkThreshold(int value);

  @Description("Zoho CRM API domain of the org's data center (www.zohoapis.com, .eu, .in, "
      + ".com.au, .jp, .com.cn, .ca, .sa).")
  @Default.String("https://www.zohoapis.com")
  String getZohoBaseUrl();

  void setZohoBaseUrl(String value);

  @Description("Zoho CRM OAuth access token, for local runs only (Direct runner, Flink "
      + "[local]): kept in this process, out of the job and its options. Elsewhere use "
      + "--zohoAccessTokenEnv or --zohoAccessTokenFile.")
  @JsonIgnore
  String getZohoAccessToken();

  void setZohoAccessToken(String value);

  @Description("Name of the environment variable holding the Zoho CRM OAuth access token, read "
      + "on the workers. Default on local runs: ZOHO_ACCESS_TOKEN.")
  String getZohoAccessTokenEnv();

  void setZohoAccessTokenEnv(String value);

  @Description("File holding the Zoho CRM OAuth access token, read on the workers: a local "
      + "path, or a gs:// object on Dataflow.")
  String getZohoAccessTokenFile();

  void setZohoAccessTokenFile(String value);

  @Description("Google Cloud Secret Manager secret holding the Zoho CRM access token, read where "
      + "it is used: projects/PROJECT/secrets/NAME/versions/VERSION. Needs the job jar built "
      + "with -Pdataflow and the Secret Manager Secret Accessor role for the workers' service"
      + " account.")
  String getZohoAccessTokenSecret();

  void setZohoAccessTokenSecret(String value);

  @Description("Kit API base URL.")
  @Default.String("https://api.kit.com")
  String getKitBaseUrl();

  void setKitBaseUrl(String value);

  @Description("Kit OAuth access token (Kit's bulk endpoints refuse v4 API keys), for local runs "
      + "only (Direct runner, Flink [local]): kept in this process, out of the job and its "
      + "options. Elsewhere use --kitAccessTokenEnv or --kitAccessTokenFile.")
  @JsonIgnore
  String getKitAccessToken();

  void setKitAccessToken(String value);

  @Description("Name of the environment variable holding the Kit OAuth access token, read on "
      + "the workers. Default on local runs: KIT_ACCESS_TOKEN.")
  String getKitAccessTokenEnv();

  void setKitAccessTokenEnv(String value);

  @Description("File holding the Kit OAuth access token, read on the workers: a local path, or "
      + "a gs:// object on Dataflow.")
  String getKitAccessTokenFile();

  void setKitAccessTokenFile(String value);

  @Description("Google Cloud Secret Manager secret holding the Kit access token, read where it "
      + "is used: projects/PROJECT/secrets/NAME/versions/VERSION. Needs the job jar built with "
      + "-Pdataflow and the Secret Manager Secret Accessor role for the workers' service "
      + "account.")
  String getKitAccessTokenSecret();

  void setKitAccessTokenSecret(String value);

  @Description("Key product features, comma-separated (values of the feature prop of "
      + "feature_use events, at most 64): feature_adoption_rate is the share of them a "
      + "customer has used. Default none (the rate is then null).")
  @Default.String("")
  String getKeyFeatures();

  void setKeyFeatures(String value);

  @Description("Weights of event types in engagement_score: type=weight,... (weights in "
      + "[0, 1000]; types not listed weigh 0). Default "
      + "purchase=5,checkout_start=3,subscription_start=3,cart_add=2,email_click=2,signup=2,"
      + "email_open=1,site_visit=1,feature_use=1,page_view=0.5.")
  @Default.String(EngagementWeights.DEFAULT_SPEC)
  String getEngagementWeights();

  void setEngagementWeights(String value);

  @Description("Half-life of engagement_score in days: an event this old counts half.")
  @Default.Double(30)
  double getEngagementHalfLifeDays();

  void setEngagementHalfLifeDays(double value);

  @Description("cart_abandoned_24h looks at cart activity in this many hours before asOf.")
  @Default.Integer(24)
  int getCartAbandonmentWindowHours();

  void setCartAbandonmentWindowHours(int value);

  @Description("lifecycle_stage: first seen fewer than this many days before asOf is 'new'.")
  @Default.Integer(30)
  int getLifecycleNewDays();

  void setLifecycleNewDays(int value);

  @Description("lifecycle_stage: inactive this many days or more is 'at_risk'.")
  @Default.Integer(60)
  int getLifecycleAtRiskDays();

  void setLifecycleAtRiskDays(int value);

  @Description("lifecycle_stage: inactive this many days or more is 'churned'; back after a "
      + "gap this long is 'reactivated'.")
  @Default.Integer(180)
  int getLifecycleChurnDays();

  void setLifecycleChurnDays(int value);

  @Description("lifecycle_stage: a return after a long gap counts as 'reactivated' when it "
      + "happened in this many days before asOf.")
  @Default.Integer(30)
  int getLifecycleReactivationDays();

  void setLifecycleReactivationDays(int value);

  @Description("lifecycle_stage: p_alive below this is 'at_risk' (value models only).")
  @Default.Double(0.5)
  double getLifecycleAtRiskPAlive();

  void setLifecycleAtRiskPAlive(double value);

  @Description("lifecycle_stage: p_alive below this is 'churned' (value models only).")
  @Default.Double(0.1)
  double getLifecycleChurnPAlive();

  void setLifecycleChurnPAlive(double value);

  /** The default of {@link #getGroups}: few on the Direct runner, many elsewhere. */
  final class GroupsFactory implements DefaultValueFactory<Integer> {
    static final int DIRECT = 4;
    static final int DISTRIBUTED = 256;

    @Override
    public Integer create(PipelineOptions options) {
      return options.getRunner().getSimpleName().equals("DirectRunner") ? DIRECT : DISTRIBUTED;
    }
  }
}

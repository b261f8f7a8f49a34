"""Tag facts with the exam task statements they support (SAA-C03 and SAP-C02).

Pure Python, no Django: the ingester calls `tag_fact` once per extracted fact (~20,000 times per
run), so everything below is compiled once at import and each call is a single regex pass.

Method
------
1. **Lexicons.** `TASK_STATEMENT_LEXICONS[certification][task_statement]` maps terms to weights:
   *core* terms name the task statement's topic (2.0), *related* terms are typical of it (1.0),
   *weak* terms are generic but leaning (0.5). A term may appear in several lexicons.
2. **Matching.** All terms of both certifications live in ONE compiled regex (a prefix trie, so a
   scan costs O(len(text)), not O(number of terms)); one `finditer` pass maps each hit to its
   (certification, task statement, weight) contributions through a dict.
   - Word-boundary aware: a term never matches inside a longer word ("cost" ≠ "costume").
   - Case-insensitive, except acronyms (terms with upper-case letters and no lower-case ones,
     "OU", "KMS", "SSE-KMS"), which match their exact case only ("OU" ≠ "you", "ou").
   - Spaces, hyphens and slashes inside a term are optional and interchangeable ("Multi-AZ",
     "multi AZ", "MultiAZ"; "blue/green", "blue-green"); a trailing "s"/"es" plural is accepted;
     "-ise"/"-isation" spellings match "-ize"/"-ization" terms.
   - A term ending in "*" is a stem: "encrypt*" matches encrypt, encrypted, encryption.
   - The longest term wins at a position, and a phrase hit also counts for every shorter lexicon
     term inside it ("S3 Glacier" counts as "Glacier" and "S3" too, at the best weight per task
     statement), so adding a phrase to one lexicon never takes hits away from another.
3. **Sources.** The statement counts in full; words of the nearest heading count ×
   `HEADING_FACTOR` (0.4), outer headings × `ANCESTOR_HEADING_FACTOR` (0.25), the fact's service
   name × `SERVICE_FACTOR` (0.5). Each distinct lexicon term counts once per task statement, at
   its best source, so repeating a word does not inflate a score.
4. **Category prior.** The service category adds `CATEGORY_PRIORS[category][certification][code]`
   (0.3–1.0, about one related term) to the task statements that category usually serves.
5. **Score → confidence.** score = sum of the weights above; confidence = 1 − exp(−score / 2),
   rounded to 3 decimals: one related term → 0.39, one core term → 0.63, three core terms → 0.95.
6. **Selection, per certification.** Keep a task statement when confidence ≥ `MIN_CONFIDENCE`
   (0.45: one core term passes, one related term or one heading term alone does not) and its
   score is ≥ `RELATIVE_CUTOFF` (50 %) of that certification's best score; at most
   `MAX_TAGS_PER_CERTIFICATION` (3), best first (ties: lower task statement code). When the
   category gives a prior for a certification and nothing passed, the best task statement is kept
   anyway, so every fact linked to a service is tagged for both exams. No signal and no category
   → no tags. Results: SAA-C03 tags first, then SAP-C02.

Use `explain()` to see which terms fired for each tag (admin tooltip, debugging).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

SAA: Final = "SAA-C03"
SAP: Final = "SAP-C02"
CERTIFICATIONS: Final[tuple[str, ...]] = (SAA, SAP)

CORE_WEIGHT: Final = 2.0
RELATED_WEIGHT: Final = 1.0
WEAK_WEIGHT: Final = 0.5

HEADING_FACTOR: Final = 0.4  # the nearest heading is context, not the fact itself
ANCESTOR_HEADING_FACTOR: Final = 0.25  # outer headings ("Compute & Load Balancing") are broader
SERVICE_FACTOR: Final = 0.5  # the service name says what the fact is about, not which task
CONFIDENCE_SCALE: Final = 2.0  # score at which confidence reaches 1 - 1/e ≈ 0.63
MIN_CONFIDENCE: Final = 0.45  # one core term passes; one related term alone does not
RELATIVE_CUTOFF: Final = 0.5  # drop side tags well below the certification's best
MAX_TAGS_PER_CERTIFICATION: Final = 3


@dataclass(frozen=True, slots=True)
class Tag:
    certification: str  # "SAA-C03"
    task_statement: str  # "3.1"
    confidence: float  # 0 < c <= 1

    def __post_init__(self) -> None:
        if self.certification not in CERTIFICATIONS:
            raise ValueError(f"Unknown certification {self.certification!r}.")
        if not 0 < self.confidence <= 1:
            raise ValueError(f"Confidence {self.confidence!r} is outside (0, 1].")


def _lexicon(*, core: str, related: str = "", weak: str = "") -> dict[str, float]:
    """Build one task statement's lexicon from ';'-separated term lists, one per weight tier."""
    weighted: dict[str, float] = {}
    for terms, weight in ((core, CORE_WEIGHT), (related, RELATED_WEIGHT), (weak, WEAK_WEIGHT)):
        for raw_term in terms.split(";"):
            term = " ".join(raw_term.split())
            if not term:
                continue
            if term in weighted:
                raise ValueError(f"Term {term!r} is listed twice in one lexicon.")
            weighted[term] = weight
    return weighted


# Written from the official exam guides' task statements and their knowledge/skills lists.
# American spelling (British "-ise" forms match automatically); acronyms in their usual case.
# Read-only: the matcher is compiled from this data once, at import.
TASK_STATEMENT_LEXICONS: Final[dict[str, dict[str, dict[str, float]]]] = {
    SAA: {
        # Design secure access to AWS resources.
        "1.1": _lexicon(
            core="IAM; IAM policy; IAM role; IAM user; IAM group; least privilege; MFA;"
            " multi-factor authentication; root user; SCP; service control policy;"
            " permissions boundary; identity federation; IAM Identity Center; AWS SSO;"
            " single sign-on; STS; Security Token Service; AssumeRole; cross-account access;"
            " cross-account role; resource-based policy; identity-based policy",
            related="access key; temporary credentials; SAML; OIDC; web identity; Cognito;"
            " identity pool; Directory Service; Active Directory; AD Connector; Organizations;"
            " OU; organizational unit; member account; Control Tower; trust policy; principal;"
            " bucket policy; ABAC; attribute-based access control; IAM Access Analyzer;"
            " password policy; credential*; permission*; federat*",
            weak="access; authenticat*; authoriz*; role; policy; user; account",
        ),
        # Design secure workloads and applications (network and application layers).
        "1.2": _lexicon(
            core="security group; NACL; network ACL; WAF; web application firewall; Shield;"
            " Shield Advanced; DDoS; private subnet; bastion host; VPC endpoint; PrivateLink;"
            " Network Firewall; Firewall Manager; SQL injection; cross-site scripting; XSS;"
            " GuardDuty",
            related="VPC; subnet; public subnet; NAT gateway; Site-to-Site VPN; VPN;"
            " Direct Connect; Secrets Manager; Parameter Store; Cognito; user pool;"
            " Session Manager; Inspector; Security Hub; Verified Access; inbound rule;"
            " outbound rule; rate-based rule; firewall; threat*; malicious; exploit*;"
            " vulnerabilit*; patch*",
            weak="network; rule; attack*; protect*; secur*; port",
        ),
        # Determine appropriate data security controls.
        "1.3": _lexicon(
            core="encrypt*; KMS; Key Management Service; at rest; in transit; key rotation;"
            " customer managed key; AWS managed key; CMK; CloudHSM; SSE-S3; SSE-KMS; SSE-C;"
            " client-side encryption; server-side encryption; envelope encryption; Macie;"
            " Object Lock; MFA Delete; ACM; Certificate Manager; TLS; SSL",
            related="AWS Backup; backup; snapshot; versioning; data retention; retention period;"
            " compliance; data classification; sensitive data; PII; Vault Lock; WORM;"
            " Secrets Manager; HTTPS; certificate; data key; key policy; Block Public Access;"
            " point-in-time recovery; legal hold; cross-Region replication; decrypt*",
            weak="private; protect*; recover*; confidential*; immutable",
        ),
        # Design scalable and loosely coupled architectures.
        "2.1": _lexicon(
            core="loose coupling; loosely coupled; decoupl*; SQS; Simple Queue Service; SNS;"
            " Simple Notification Service; fan-out; EventBridge; event-driven; Step Functions;"
            " microservice*; message queue; API Gateway; asynchronous*",
            related="queue; Lambda; serverless; Amazon MQ; Kinesis Data Streams; stateless;"
            " horizontal scaling; scale out; dead-letter queue; DLQ; visibility timeout;"
            " pub/sub; publish/subscribe; container*; ECS; Fargate; load balancer; Auto Scaling;"
            " buffer*; producer; consumer; orchestrat*; choreography; AppSync; workflow",
            weak="scalab*; scale; worker; event; message",
        ),
        # Design highly available and/or fault-tolerant architectures.
        "2.2": _lexicon(
            core="high availability; highly available; fault toleran*; Multi-AZ;"
            " multiple Availability Zones; failover; failover routing; disaster recovery; DR;"
            " RTO; RPO; recovery time objective; recovery point objective; pilot light;"
            " warm standby; active-active; active-passive; multi-site; backup and restore;"
            " single point of failure; Aurora Global Database; DynamoDB global table;"
            " global table; Elastic Disaster Recovery; health check",
            related="Availability Zone; AZ; Region; cross-Region; standby; read replica;"
            " Route 53; Auto Scaling group; Elastic Load Balancing; ELB; replicat*; resilien*;"
            " redundan*; self-healing; durability; outage; immutable infrastructure;"
            " cross-zone load balancing; promote*; unhealthy",
            weak="availab*; recovery; failure; backup",
        ),
        # Determine high-performing and/or scalable storage solutions.
        "3.1": _lexicon(
            core="EBS; Elastic Block Store; IOPS; gp3; io1; io2; io2 Block Express;"
            " Provisioned IOPS; EFS; Elastic File System; FSx; FSx for Lustre;"
            " FSx for Windows File Server; FSx for NetApp ONTAP; FSx for OpenZFS;"
            " instance store; block storage; file storage; object storage; multipart upload;"
            " S3 Transfer Acceleration; shared file system",
            related="S3; Simple Storage Service; throughput; st1; sc1; gp2; Storage Gateway;"
            " File Gateway; Volume Gateway; EBS-optimized; RAID 0; NFS; SMB; POSIX;"
            " byte-range fetch; S3 Select; mount*; storage; volume; bucket; parallel file system;"
            " file system",
            weak="performance; capacity; file; object",
        ),
        # Design high-performing and elastic compute solutions.
        "3.2": _lexicon(
            core="Auto Scaling; Auto Scaling group; scaling polic*; target tracking;"
            " step scaling; scheduled scaling; predictive scaling; instance type;"
            " instance family; Lambda; Fargate; ECS; EKS; AWS Batch; placement group;"
            " elasticity",
            related="EC2; launch template; compute optimized; memory optimized; Graviton; GPU; HPC;"
            " cluster placement group; Elastic Beanstalk; concurrency; provisioned concurrency;"
            " App Runner; container*; Docker; Kubernetes; horizontal scaling; vertical scaling;"
            " scale out; scale in; warm pool; cooldown; vCPU; CPU utilization; Outposts;"
            " batch job*",
            weak="instance; compute; server; scale; elastic",
        ),
        # Determine high-performing database solutions.
        "3.3": _lexicon(
            core="RDS; Aurora; DynamoDB; read replica; ElastiCache; DAX; DynamoDB Accelerator;"
            " RDS Proxy; connection pool*; Aurora Replica; Redis; Memcached; database caching;"
            " purpose-built database",
            related="Redshift; Neptune; DocumentDB; Keyspaces; Timestream; QLDB; MemoryDB;"
            " Aurora Serverless; partition key; sort key; global secondary index; GSI;"
            " local secondary index; LSI; read capacity unit; write capacity unit; RCU; WCU;"
            " hot partition; adaptive capacity; microsecond*; millisecond*; relational; NoSQL;"
            " key-value; in-memory; Performance Insights; database engine; MySQL; PostgreSQL;"
            " Oracle; SQL Server; MariaDB; lazy loading; write-through; query; queries",
            weak="database; table; latency; cache; read-heavy",
        ),
        # Determine high-performing and/or scalable network architectures.
        "3.4": _lexicon(
            core="CloudFront; Global Accelerator; edge location; Direct Connect;"
            " Transit Gateway; VPC peering; latency-based routing; latency routing;"
            " geoproximity; enhanced networking; Elastic Network Adapter; ENA;"
            " Elastic Fabric Adapter; EFA; Network Load Balancer; NLB;"
            " Application Load Balancer; ALB; load balanc*; anycast",
            related="Route 53; PrivateLink; VPC; subnet; CIDR; IPv6; Local Zone; Wavelength;"
            " geolocation routing; weighted routing; jumbo frame*; bandwidth; Site-to-Site VPN;"
            " VPN; Gateway Load Balancer; NAT gateway; internet gateway;"
            " egress-only internet gateway; CDN; content delivery network; origin;"
            " cache behavior; Lambda@Edge; CloudFront Functions; network topology",
            weak="network; traffic; routing; global; latency; edge",
        ),
        # Determine high-performing data ingestion and transformation solutions.
        "3.5": _lexicon(
            core="Kinesis; Kinesis Data Streams; Kinesis Data Firehose; Data Firehose; Firehose;"
            " Kinesis Data Analytics; Managed Service for Apache Flink; Glue; Glue crawler;"
            " Glue Data Catalog; ETL; Athena; EMR; Lake Formation; data lake; ingest*;"
            " streaming data; MSK; Managed Streaming for Apache Kafka; Kafka; Parquet;"
            " DataSync; Transfer Family",
            related="transform*; QuickSight; Redshift; Redshift Spectrum; OpenSearch; Snowball;"
            " Snow Family; Snowcone; SFTP; batch processing; real-time; clickstream; IoT Core;"
            " columnar; ORC; Apache Spark; Spark; Hadoop; data pipeline; analytics;"
            " visualization; data warehouse; stream*",
            weak="pipeline; records; big data",
        ),
        # Design cost-optimized storage solutions.
        "4.1": _lexicon(
            core="storage class; S3 lifecycle; lifecycle polic*; lifecycle rule;"
            " lifecycle configuration; Glacier; S3 Glacier; Glacier Instant Retrieval;"
            " Glacier Flexible Retrieval; Glacier Deep Archive; Deep Archive;"
            " Intelligent-Tiering; Standard-IA; Standard-Infrequent Access; One Zone-IA;"
            " infrequent access; EFS Infrequent Access; archiv*; cold storage; Requester Pays",
            related="cost; cost-effective; cheap*; lowest cost; gp3; sc1; st1;"
            " Cold HDD; EBS Snapshots Archive; Storage Gateway; Tape Gateway; retrieval fee;"
            " minimum storage duration; Data Lifecycle Manager; S3 Storage Lens; expiration;"
            " expire*; tiering",
            weak="S3; storage; save; saving*; retention; delete",
        ),
        # Design cost-optimized compute solutions.
        "4.2": _lexicon(
            core="Spot Instance; Spot Fleet; Spot; Reserved Instance; RI; Savings Plans;"
            " Compute Savings Plans; EC2 Instance Savings Plans; On-Demand; right-siz*;"
            " Compute Optimizer; Dedicated Host; Dedicated Instance;"
            " Convertible Reserved Instance; Standard Reserved Instance; Spot price;"
            " Spot interruption",
            related="cost; cost-effective; cheap*; pay-as-you-go; per-second billing; Lambda;"
            " Fargate; Fargate Spot; Auto Scaling; scale in; hibernat*; idle; underutiliz*;"
            " burstable; Trusted Advisor; License Manager; BYOL; bring your own license;"
            " Graviton",
            weak="EC2; instance; compute; save; saving*",
        ),
        # Design cost-optimized database solutions.
        "4.3": _lexicon(
            core="Aurora Serverless; DynamoDB on-demand; on-demand capacity;"
            " provisioned capacity; reserved DB instance; table class;"
            " DynamoDB Standard-IA; database cost*; Redshift Serverless;"
            " storage auto scaling",
            related="cost; cost-effective; cheap*; Reserved Instance; read replica; ElastiCache;"
            " Aurora; RDS; DynamoDB; Redshift; backup retention; TTL; time to live;"
            " license included; BYOL; Babelfish; right-siz*; idle; Auto Scaling",
            weak="database; capacity; save; saving*",
        ),
        # Design cost-optimized network architectures.
        "4.4": _lexicon(
            core="data transfer; data transfer cost*; egress; NAT gateway; VPC endpoint;"
            " gateway endpoint; inter-AZ; cross-AZ; inter-Region; cross-Region data transfer;"
            " data processing charge*; transfer cost*",
            related="cost; cost-effective; cheap*; Direct Connect; CloudFront; PrivateLink;"
            " Transit Gateway; bandwidth; Availability Zone; same Availability Zone;"
            " private IP; public IP; Elastic IP; IPv4; VPC peering; Site-to-Site VPN;"
            " Snowball; charge*",
            weak="traffic; network; Region; save; saving*",
        ),
    },
    SAP: {
        # Architect network connectivity strategies.
        "1.1": _lexicon(
            core="Direct Connect; Direct Connect gateway; Transit Gateway; transit VIF;"
            " private VIF; public VIF; virtual interface; Site-to-Site VPN; VPN; Client VPN;"
            " VPC peering; PrivateLink; Transit Gateway peering; hybrid network*;"
            " Route 53 Resolver; Resolver endpoint; hybrid DNS; Cloud WAN; overlapping CIDR;"
            " BGP; link aggregation group; LAG; customer gateway; virtual private gateway;"
            " VPC sharing; shared VPC; Resource Access Manager",
            related="VPC; CIDR; subnet; route table; IPsec; MACsec; transitive routing;"
            " hub-and-spoke; centralized egress; inspection VPC; Network Firewall;"
            " Gateway Load Balancer; VPC endpoint; interface endpoint; on-premises;"
            " data center; hybrid; Route 53; private hosted zone; Global Accelerator;"
            " VPC Lattice; IPAM; Reachability Analyzer; VPC Flow Logs; connectivity",
            weak="network; connect*; routing",
        ),
        # Prescribe security controls.
        "1.2": _lexicon(
            core="cross-account; cross-account role; cross-account access; IAM Identity Center;"
            " AWS SSO; permission set; delegated administrator; Security Hub; GuardDuty;"
            " organization trail; centralized logging; Firewall Manager; Config aggregator;"
            " aggregator; IAM Access Analyzer; external ID; trust policy; identity federation",
            related="SCP; service control policy; IAM; IAM role; AssumeRole; STS; SAML;"
            " least privilege; permissions boundary; KMS; key policy; CloudTrail; Config;"
            " Config rule*; conformance pack; Detective; Macie; Inspector; Active Directory;"
            " AD Connector; Managed Microsoft AD; Directory Service; trust relationship;"
            " session tag*; ABAC; resource-based polic*; audit*; compliance;"
            " security account; log archive account; encrypt*",
            weak="security; account; organization; federat*",
        ),
        # Determine reliable and resilient architectures (multi-account).
        "1.3": _lexicon(
            core="cross-account backup; cross-Region backup; cross-Region replication;"
            " AWS Backup; backup polic*; centralized backup; multi-Region; RTO; RPO;"
            " disaster recovery; Aurora Global Database; DynamoDB global table;"
            " S3 Cross-Region Replication; CRR; Application Recovery Controller;"
            " Elastic Disaster Recovery; Service Quotas; service quota*; quota*;"
            " limit increase",
            related="replicat*; resilien*; failover; Multi-AZ; Region; cross-account;"
            " cross-Region; scale out; scale up; self-healing; automatic recovery;"
            " health check; Route 53; backup vault; restore; copy snapshot*; snapshot cop*",
            weak="backup; recovery; reliab*",
        ),
        # Design a multi-account AWS environment.
        "1.4": _lexicon(
            core="Organizations; OU; organizational unit; SCP; service control policy;"
            " Control Tower; landing zone; guardrail*; multi-account; management account;"
            " member account; Account Factory; Account Factory for Terraform; AFT;"
            " log archive account; audit account; tag polic*; backup polic*;"
            " consolidated billing; preventive control*; detective control*",
            related="StackSets; Resource Access Manager; delegated administrator;"
            " Config aggregator; organization trail; CloudTrail; Config; conformance pack;"
            " IAM Identity Center; tagging strateg*; governance; account structure;"
            " account vending; sandbox account; centralized logging; Service Catalog; tag",
            weak="account; organization; compliance",
        ),
        # Determine cost optimization and visibility strategies.
        "1.5": _lexicon(
            core="Cost Explorer; AWS Budgets; budget*; cost allocation tag*; tagging strateg*;"
            " tag polic*; Cost and Usage Report; CUR; consolidated billing; billing;"
            " chargeback; showback; Cost Categories; cost categor*; Billing Conductor;"
            " payer account; Cost Anomaly Detection; cost visibility; business unit*;"
            " cost center*",
            related="spend*; tag; tagging; Organizations; management account;"
            " linked account; member account; Savings Plans; Reserved Instance; RI sharing;"
            " Trusted Advisor; Compute Optimizer; forecast*; Pricing Calculator; TCO;"
            " volume discount*; invoice*",
            weak="cost; cheap*; organization; account; Athena; QuickSight",
        ),
        # Design a deployment strategy to meet business requirements.
        "2.1": _lexicon(
            core="CloudFormation; StackSets; CDK; Cloud Development Kit; infrastructure as code;"
            " IaC; CI/CD; CodePipeline; CodeBuild; CodeDeploy; CodeCommit; blue/green; canary;"
            " canary deployment; rolling deployment; linear deployment; all-at-once;"
            " immutable deployment; Elastic Beanstalk; deployment strateg*",
            related="deployment; Service Catalog; AppConfig; change set; drift detection; SAM;"
            " Serverless Application Model; Lambda alias; traffic shifting; Proton;"
            " OpsWorks; Terraform; container image; ECR; Amplify; rollback*; roll back;"
            " release; EC2 Image Builder; Image Builder; golden AMI; user data; bootstrap*;"
            " template",
            weak="deploy*; pipeline; version*; stack",
        ),
        # Design a solution to ensure business continuity.
        "2.2": _lexicon(
            core="disaster recovery; DR; RTO; RPO; recovery time objective;"
            " recovery point objective; pilot light; warm standby; multi-site; active-active;"
            " active-passive; backup and restore; business continuity;"
            " Elastic Disaster Recovery; DRS; Aurora Global Database; DynamoDB global table;"
            " cross-Region replication; failover",
            related="standby; replicat*; Region; cross-Region; multi-Region; failback;"
            " Route 53; health check; snapshot; AWS Backup; backup; restore;"
            " point-in-time recovery; CRR; Application Recovery Controller; promote*",
            weak="recovery; outage; continuity",
        ),
        # Determine security controls based on requirements.
        "2.3": _lexicon(
            core="encrypt*; KMS; least privilege; WAF; Shield; security group; Secrets Manager;"
            " Cognito; ACM; TLS; CloudHSM; IAM polic*; data protection; Macie;"
            " private subnet; VPC endpoint",
            related="IAM role; Parameter Store; NACL; Network Firewall; at rest; in transit;"
            " key rotation; PrivateLink; SSE-KMS; certificate; Verified Access;"
            " Lambda authorizer; authoriz*; authenticat*; user pool; identity pool;"
            " signed URL; signed cookie*; origin access control; OAC;"
            " origin access identity; OAI; compliance; DDoS; GuardDuty",
            weak="security; secur*; protect*",
        ),
        # Design a strategy to meet reliability requirements.
        "2.4": _lexicon(
            core="Multi-AZ; high availability; highly available; fault toleran*;"
            " loose coupling; loosely coupled; decoupl*; self-healing; Auto Scaling;"
            " health check; retry; retries; exponential backoff; single point of failure; SQS;"
            " dead-letter queue; Elastic Load Balancing; load balanc*; resilien*",
            related="Availability Zone; AZ; SNS; EventBridge; Step Functions; Route 53;"
            " read replica; Aurora Replica; idempoten*; throttl*; circuit breaker; stateless;"
            " managed service; Service Quotas; redundan*; replicat*; graceful degradation;"
            " queue",
            weak="reliab*; availab*",
        ),
        # Design a solution to meet performance objectives.
        "2.5": _lexicon(
            core="CloudFront; ElastiCache; DAX; caching; Global Accelerator; read replica;"
            " purpose-built; placement group; enhanced networking; EFA;"
            " Elastic Fabric Adapter; Provisioned IOPS; high performance; HPC; Lambda@Edge;"
            " edge location",
            related="IOPS; latency; throughput; cache; Redis; Memcached; DynamoDB; Aurora;"
            " Redshift; OpenSearch; Neptune;"
            " Kinesis; FSx for Lustre; instance store; GPU; Graviton; compute optimized;"
            " memory optimized; instance type; S3 Transfer Acceleration; multipart upload;"
            " CloudFront Functions; Local Zone; Wavelength; provisioned concurrency;"
            " connection pool*; RDS Proxy; shard*; partition key; scale out",
            weak="performance; fast*; speed; response time",
        ),
        # Determine a cost optimization strategy to meet solution goals.
        "2.6": _lexicon(
            core="cost optimiz*; cost-effective; cost-efficient; Savings Plans;"
            " Reserved Instance; Spot Instance; On-Demand; pay-as-you-go; pay per request;"
            " pricing model*; storage class; Intelligent-Tiering; Graviton; right-siz*",
            related="cost; cheap*; serverless; managed service; Lambda; Fargate; Spot;"
            " Aurora Serverless; DynamoDB on-demand; S3 lifecycle; lifecycle polic*; Glacier;"
            " data transfer; VPC endpoint; NAT gateway; Auto Scaling; scale to zero; pricing;"
            " budget*; TCO; total cost of ownership; license*; BYOL",
            weak="save; saving*; expensive; price*",
        ),
        # Determine a strategy to improve overall operational excellence.
        "3.1": _lexicon(
            core="CloudWatch; CloudWatch alarm*; CloudWatch Logs; CloudWatch agent;"
            " EventBridge rule; Systems Manager; SSM; Automation runbook; runbook*;"
            " Systems Manager Automation; auto-remediat*; automatic remediation; remediat*;"
            " observability; X-Ray; distributed tracing; Fault Injection Service;"
            " Fault Injection Simulator; chaos engineering; operational excellence;"
            " OpsCenter; Incident Manager; playbook*; dashboard*",
            related="metric*; alarm*; logging; log; Config rule*; CloudTrail; Trusted Advisor;"
            " Health Dashboard; AWS Health; notification*; Patch Manager; Run Command;"
            " State Manager; Session Manager; Change Manager; maintenance window*;"
            " Managed Grafana; Managed Service for Prometheus; Container Insights;"
            " Lambda Insights; CloudWatch Synthetics; anomaly detection; Contributor Insights;"
            " composite alarm*; EventBridge; SNS",
            weak="monitor*; automat*; operations; operational; alert*",
        ),
        # Determine a strategy to improve security.
        "3.2": _lexicon(
            core="IAM Access Analyzer; Access Analyzer; Inspector; vulnerabilit*; patch*;"
            " Patch Manager; Security Hub; GuardDuty; Config rule*; credential report;"
            " access advisor; last accessed; unused permission*; Secrets Manager;"
            " security finding*; finding*; Detective; Macie; CVE",
            related="remediat*; rotate; rotation; Trusted Advisor; CloudTrail; least privilege;"
            " audit*; compliance; KMS; WAF; Shield; Firewall Manager; security group; NACL;"
            " CloudTrail Lake; VPC Flow Logs; Audit Manager; penetration test*; AMI;"
            " harden*; Session Manager; Parameter Store; MFA; key rotation; exposed;"
            " public access; Block Public Access; scan*",
            weak="security; secur*; threat*",
        ),
        # Determine a strategy to improve performance.
        "3.3": _lexicon(
            core="bottleneck*; Performance Insights; Compute Optimizer; CloudWatch metric*;"
            " Enhanced Monitoring; X-Ray; slow*; CPU utilization; memory utilization;"
            " performance tuning; performance issue*; under-provisioned",
            related="latency; throughput; IOPS; caching; ElastiCache; read replica; CloudFront;"
            " Global Accelerator; instance type; DAX; Redis; RDS Proxy; connection pool*;"
            " scale up; scale out; Auto Scaling;"
            " provisioned concurrency; cold start*; gp3; Provisioned IOPS; EBS-optimized;"
            " enhanced networking; placement group; S3 Transfer Acceleration; query; queries;"
            " index*; SLA; service level agreement; KPI; benchmark*; load test*; metric*;"
            " upgrad*",
            weak="performance; improv*; existing; fast*",
        ),
        # Determine a strategy to improve reliability.
        "3.4": _lexicon(
            core="single point of failure; SPOF; Application Recovery Controller;"
            " Resilience Hub; single-AZ; current architecture; growth trend*;"
            " capacity planning; reliability improvement*; Trusted Advisor",
            related="Multi-AZ; self-healing; health check; resilien*; fault toleran*;"
            " failover; replicat*; read replica; decoupl*; loose coupling; retry; retries;"
            " exponential backoff; Auto Scaling; Availability Zone; AZ; Elastic Load Balancing;"
            " load balanc*; SQS;"
            " dead-letter queue; Aurora Replica; cross-Region; Service Quotas; throttl*;"
            " growth; chaos engineering; Fault Injection Service;"
            " redundan*; DynamoDB global table; Aurora Global Database; existing; backup",
            weak="reliab*; outage; failure*; recover*; improv*",
        ),
        # Identify opportunities for cost optimizations.
        "3.5": _lexicon(
            core="Cost Explorer; rightsizing recommendation*; right-siz*;"
            " Compute Optimizer; Trusted Advisor; underutiliz*; idle; unused; unattached;"
            " orphaned; Cost Anomaly Detection; Cost and Usage Report; CUR; cost optimiz*;"
            " S3 Storage Lens; Instance Scheduler; Cost Optimization Hub",
            related="cost; cheap*; Savings Plans; Reserved Instance; RI; Spot Instance; Spot;"
            " Graviton; gp3; storage class; Intelligent-Tiering; S3 lifecycle;"
            " lifecycle polic*; lifecycle rule; Glacier; scale in; data transfer;"
            " NAT gateway; VPC endpoint; waste*; Elastic IP; existing",
            weak="save; saving*; reduc*; spend*",
        ),
        # Select existing workloads and processes for potential migration.
        "4.1": _lexicon(
            core="Application Discovery Service; Discovery Agent;"
            " Agentless Discovery Connector; Migration Evaluator; Migration Hub;"
            " portfolio discovery; portfolio assessment; migration assessment;"
            " business case; TCO; total cost of ownership; migration readiness;"
            " Migration Readiness Assessment; MRA; wave planning; migration wave*;"
            " dependency mapping; application dependenc*; Strategy Recommendations;"
            " Cloud Adoption Framework; CAF; prioritiz*",
            related="discovery; inventory; server utilization; utilization data;"
            " assess*; 7 Rs; 6 Rs; retire; retain; Migration Portfolio Assessment; MPA;"
            " Prescriptive Guidance; on-premises; data center; workload*",
            weak="migrat*; candidate*",
        ),
        # Determine the optimal migration approach for existing workloads.
        "4.2": _lexicon(
            core="7 Rs; 6 Rs; rehost*; replatform*; repurchas*; relocat*; retire; retain;"
            " lift and shift; Application Migration Service; MGN;"
            " Server Migration Service; DMS; Database Migration Service; SCT;"
            " Schema Conversion Tool; schema conversion; DataSync; Snowball; Snowball Edge;"
            " Snowcone; Snowmobile; Snow Family; Transfer Family; VM Import/Export;"
            " VM Import; CloudEndure; change data capture; CDC; full load;"
            " homogeneous migration; heterogeneous migration; cutover; replication instance;"
            " offline transfer",
            related="migrat*; Oracle; SQL Server; on-premises; bandwidth; VMware;"
            " VMware Cloud on AWS; Migration Hub; Storage Gateway; Babelfish; data transfer;"
            " refactor*; re-architect*; replicat*",
            weak="move*; transfer",
        ),
        # Determine a new architecture for existing workloads.
        "4.3": _lexicon(
            core="target architecture; target platform; target environment; post-migration;"
            " migrated; Amazon MQ; RDS Custom; FSx for Windows File Server;"
            " FSx for NetApp ONTAP; VMware Cloud on AWS; Managed Microsoft AD;"
            " Storage Gateway; Outposts; Elastic Beanstalk; Lightsail",
            related="EC2; RDS; Aurora; EFS; FSx; ECS; EKS; Fargate; DynamoDB; Active Directory;"
            " Windows; SQL Server; Oracle; PostgreSQL; MySQL; Linux; hybrid; WorkSpaces;"
            " AppStream 2.0; license*; Dedicated Host; shared file system; managed service",
            weak="compute; storage; database; S3; Lambda",
        ),
        # Determine opportunities for modernization and enhancements.
        "4.4": _lexicon(
            core="moderniz*; microservice*; monolith*; serverless; containeriz*; refactor*;"
            " re-architect*; event-driven; decoupl*; purpose-built database; App2Container;"
            " Mainframe Modernization; strangler*; Refactor Spaces; cloud-native",
            related="Lambda; Fargate; Step Functions; container*; ECS; EKS; API Gateway;"
            " EventBridge; SQS; SNS; DynamoDB;"
            " Aurora Serverless; managed service; App Runner; AppSync; Amplify; Kubernetes;"
            " Docker; ECR; open source; Babelfish; self-managed",
            weak="new; improv*; replace*",
        ),
    },
}

# Service category → certification → task statement → prior weight. Values are distinct within a
# certification so the "best" fallback tag is well defined without tie-breaking.
CATEGORY_PRIORS: Final[dict[str, dict[str, dict[str, float]]]] = {
    "compute": {SAA: {"3.2": 1.0, "4.2": 0.7}, SAP: {"2.5": 0.6, "4.3": 0.5, "2.6": 0.3}},
    "containers": {SAA: {"3.2": 1.0, "2.1": 0.6}, SAP: {"4.4": 1.0, "2.1": 0.4}},
    "serverless": {SAA: {"2.1": 1.0, "3.2": 0.6, "4.2": 0.3}, SAP: {"4.4": 0.8, "2.4": 0.5}},
    "storage": {
        SAA: {"3.1": 1.0, "4.1": 0.8, "1.3": 0.3},
        SAP: {"2.5": 0.5, "4.3": 0.4, "2.6": 0.3},
    },
    "database": {SAA: {"3.3": 1.0, "4.3": 0.7}, SAP: {"4.3": 0.6, "2.5": 0.5, "2.4": 0.3}},
    "networking": {SAA: {"3.4": 1.0, "4.4": 0.6, "1.2": 0.4}, SAP: {"1.1": 1.0}},
    "content_delivery": {SAA: {"3.4": 1.0, "4.4": 0.5}, SAP: {"2.5": 0.8, "1.1": 0.3}},
    "security": {SAA: {"1.3": 0.8, "1.2": 0.7, "1.1": 0.5}, SAP: {"2.3": 0.8, "3.2": 0.6}},
    "identity": {SAA: {"1.1": 1.0}, SAP: {"1.2": 1.0, "2.3": 0.4}},
    "integration": {SAA: {"2.1": 1.0}, SAP: {"2.4": 0.6, "4.4": 0.5}},
    "analytics": {SAA: {"3.5": 1.0}, SAP: {"2.5": 0.6, "4.4": 0.3}},
    "machine_learning": {SAA: {"3.5": 0.6, "3.2": 0.3}, SAP: {"4.4": 0.6, "2.5": 0.4}},
    "management": {SAA: {"2.2": 0.4, "1.1": 0.3}, SAP: {"3.1": 1.0, "2.1": 0.6}},
    "monitoring": {SAA: {"2.2": 0.5, "3.2": 0.4}, SAP: {"3.1": 1.0, "3.3": 0.4}},
    "developer_tools": {SAA: {"2.2": 0.6, "2.1": 0.4}, SAP: {"2.1": 1.0, "3.1": 0.5}},
    "migration": {SAA: {"3.5": 0.6, "3.1": 0.3}, SAP: {"4.2": 1.0, "4.1": 0.6}},
    "cost_management": {
        SAA: {"4.2": 0.6, "4.1": 0.5, "4.3": 0.4, "4.4": 0.3},
        SAP: {"1.5": 1.0, "3.5": 0.8, "2.6": 0.5},
    },
    "end_user_computing": {SAA: {"3.2": 0.4, "1.1": 0.3}, SAP: {"4.3": 0.6}},
    "iot": {SAA: {"3.5": 0.8}, SAP: {"2.5": 0.4, "4.4": 0.3}},
    "media": {SAA: {"3.5": 0.6}, SAP: {"2.5": 0.5}},
    "frontend_mobile": {SAA: {"2.1": 0.5, "1.1": 0.3}, SAP: {"4.4": 0.5, "2.1": 0.3}},
    "governance": {SAA: {"1.1": 0.8}, SAP: {"1.4": 1.0, "1.2": 0.5}},
}


# --------------------------------------------------------------------------------------------
# Compilation (import time)
# --------------------------------------------------------------------------------------------

_SEPARATOR_CHARS: Final = " -/"
_SEPARATORS: Final = re.compile(r"[\s\-/]+")
_ALLOWED_TERM: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 \-/@.&]*[A-Za-z0-9])?\*?")
_SEP_ATOM: Final = r"[\s\-/]?"
_STEM_ATOM: Final = "[a-z]*"  # only used inside the case-insensitive half of the pattern
_END: Final = ""  # trie key marking the end of a term
_WORD_CHAR: Final = "A-Za-z0-9"

# (certification, task statement, lexicon term, weight) — what one hit adds to the scores.
type _Contribution = tuple[str, str, str, float]


def _is_acronym(term: str) -> bool:
    """Acronyms ("KMS", "SSE-KMS", "S3") match their exact case; everything else ignores case."""
    return any(char.isupper() for char in term) and not any(char.islower() for char in term)


def _fold(text: str) -> str:
    """Case-fold and map "-ise" to "-ize" spellings, applied alike to terms and to matched text."""
    return text.lower().replace("is", "iz")


def _lookup_key(text: str, *, case_sensitive: bool) -> str:
    joined = _SEPARATORS.sub("", text)
    return joined if case_sensitive else _fold(joined)


def _words(term: str) -> tuple[str, ...]:
    return tuple(_fold(word) for word in _SEPARATORS.split(term.rstrip("*")) if word)


def _contains_words(outer: tuple[str, ...], inner: tuple[str, ...], *, inner_is_stem: bool) -> bool:
    """Whether `inner` is a contiguous word run of `outer` (its last word a prefix for stems)."""
    size = len(inner)
    for start in range(len(outer) - size + 1):
        if outer[start : start + size - 1] != inner[:-1]:
            continue
        last = outer[start + size - 1]
        if last == inner[-1] or (inner_is_stem and last.startswith(inner[-1])):
            return True
    return False


def _atoms(term: str, *, case_sensitive: bool) -> list[str]:
    """Regex atoms of a term: one per character, separators collapsed and made optional."""
    is_stem = term.endswith("*")
    body = term.rstrip("*") if case_sensitive else term.rstrip("*").lower()
    atoms: list[str] = []
    for index, char in enumerate(body):
        if char in _SEPARATOR_CHARS:
            if atoms and atoms[-1] != _SEP_ATOM:
                atoms.append(_SEP_ATOM)
        elif not case_sensitive and char == "z" and index and body[index - 1] == "i":
            atoms.append("[sz]")  # "optimize" also matches "optimise"
        else:
            atoms.append(re.escape(char))
    if is_stem:
        atoms.append(_STEM_ATOM)
    return atoms


def _trie_regex(atom_lists: Iterable[list[str]]) -> str:
    """A regex matching exactly the given atom sequences, sharing common prefixes.

    Why a trie: a flat alternation of ~1,000 terms makes the engine try every term at every
    word start; the trie only follows the branch matching the next character, so a scan is linear
    in the text. Literal characters come first and the optional separator/stem atoms last, with
    "end of term" as an optional suffix, so the longest term wins at each position.
    """
    root: dict[str, dict] = {}
    for atoms in atom_lists:
        node = root
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[_END] = {}

    def rank(atom: str) -> tuple[int, str]:
        return (atom == _SEP_ATOM) + 2 * (atom == _STEM_ATOM), atom

    def render(node: dict[str, dict]) -> str:
        branches = [atom + render(node[atom]) for atom in sorted(node, key=rank) if atom != _END]
        if not branches:
            return ""
        if len(branches) == 1 and _END not in node:
            return branches[0]
        group = "(?:" + "|".join(branches) + ")"
        return group + "?" if _END in node else group

    return render(root)


@dataclass(frozen=True, slots=True)
class _CompiledLexicons:
    pattern: re.Pattern[str]
    exact_case: dict[str, tuple[_Contribution, ...]]  # acronym key → contributions
    any_case: dict[str, tuple[_Contribution, ...]]  # folded key → contributions
    stems: dict[str, tuple[_Contribution, ...]]  # folded stem prefix → contributions
    longest_stem: int


def _compile(lexicons: Mapping[str, Mapping[str, Mapping[str, float]]]) -> _CompiledLexicons:
    # Spellings that differ only in case or separators ("Auto Scaling", "auto-scaling") are one
    # term: the first spelling seen names it. Within one lexicon such a repeat is a mistake.
    spelling_of: dict[tuple[bool, bool, str], str] = {}
    own: dict[str, list[_Contribution]] = {}  # term → its own lexicon entries
    for certification, by_code in lexicons.items():
        for code, terms in by_code.items():
            for term, weight in terms.items():
                if not _ALLOWED_TERM.fullmatch(term):
                    raise ValueError(f"{certification} {code}: malformed term {term!r}.")
                acronym, is_stem = _is_acronym(term), term.endswith("*")
                if is_stem and (acronym or len(term) < 5):
                    raise ValueError(f"{certification} {code}: stem {term!r} is too loose.")
                identity = (acronym, is_stem, _lookup_key(term.rstrip("*"), case_sensitive=acronym))
                spelling = spelling_of.setdefault(identity, term)
                entries = own.setdefault(spelling, [])
                if any((c, k) == (certification, code) for c, k, _, _ in entries):
                    raise ValueError(f"{certification} {code}: {term!r} repeats {spelling!r}.")
                entries.append((certification, code, spelling, weight))

    # A phrase hit also counts for the lexicon terms inside it, at the best weight per task
    # statement (see the module docstring); index terms by first word to keep this fast.
    words = {term: _words(term) for term in own}
    by_first_word: dict[str, list[str]] = {}
    one_word_stems: dict[str, list[str]] = {}  # stem prefix → stems
    for term, term_words in words.items():
        if term.endswith("*") and len(term_words) == 1:
            one_word_stems.setdefault(term_words[0], []).append(term)
        else:
            by_first_word.setdefault(term_words[0], []).append(term)

    def contributions(term: str) -> tuple[_Contribution, ...]:
        outer = words[term]
        inner_terms = {term}
        for word in outer:
            inner_terms.update(by_first_word.get(word, ()))
            for end in range(1, len(word) + 1):
                inner_terms.update(one_word_stems.get(word[:end], ()))
        best: dict[tuple[str, str], _Contribution] = {}
        # Deterministic order (the term itself, then longer inner terms first): on equal weight
        # the first one names the hit, which decides what explain() shows and what is deduped.
        for inner in sorted(inner_terms, key=lambda t: (t != term, -len(t), t)):
            if inner != term and not _contains_words(
                outer, words[inner], inner_is_stem=inner.endswith("*")
            ):
                continue
            for certification, code, label, weight in own[inner]:
                current = best.get((certification, code))
                if current is None or weight > current[3]:
                    best[(certification, code)] = (certification, code, label, weight)
        return tuple(best.values())

    exact_case: dict[str, tuple[_Contribution, ...]] = {}
    any_case: dict[str, tuple[_Contribution, ...]] = {}
    stems: dict[str, tuple[_Contribution, ...]] = {}
    exact_atoms: list[list[str]] = []
    any_case_atoms: list[list[str]] = []
    for term in own:
        acronym = _is_acronym(term)
        key = _lookup_key(term.rstrip("*"), case_sensitive=acronym)
        target = exact_case if acronym else stems if term.endswith("*") else any_case
        target[key] = contributions(term)
        (exact_atoms if acronym else any_case_atoms).append(_atoms(term, case_sensitive=acronym))

    not_after_word, not_before_word = f"(?<![{_WORD_CHAR}])", f"(?![{_WORD_CHAR}])"
    pattern = re.compile(
        f"{not_after_word}(?:"
        f"(?P<any_case>(?i:{_trie_regex(any_case_atoms)}(?:e?s)?))"
        f"|(?P<exact_case>{_trie_regex(exact_atoms)}(?:e?s)?)"
        f"){not_before_word}"
    )
    return _CompiledLexicons(
        pattern=pattern,
        exact_case=exact_case,
        any_case=any_case,
        stems=stems,
        longest_stem=max((len(key) for key in stems), default=0),
    )


_COMPILED: Final = _compile(TASK_STATEMENT_LEXICONS)
TERM_PATTERN: Final = _COMPILED.pattern  # exported for tests and debugging


@lru_cache(maxsize=16384)  # the same few thousand spellings recur across all notes
def _contributions_of(matched: str, case_sensitive: bool) -> tuple[_Contribution, ...]:
    """Map one regex hit back to its lexicon entries (tries the plural-less and stem forms)."""
    key = _lookup_key(matched, case_sensitive=case_sensitive)
    table = _COMPILED.exact_case if case_sensitive else _COMPILED.any_case
    candidates = [key]
    if key.endswith("s"):
        candidates.append(key[:-1])
        if key.endswith("es"):
            candidates.append(key[:-2])
    for candidate in candidates:
        if (found := table.get(candidate)) is not None:
            return found
    if not case_sensitive:  # a stem: find the longest stem the hit starts with
        for end in range(min(len(key), _COMPILED.longest_stem), 0, -1):
            if (found := _COMPILED.stems.get(key[:end])) is not None:
                return found
    return ()


def _scan(text: str) -> tuple[_Contribution, ...]:
    """Every lexicon contribution found in `text`, in one regex pass."""
    found: list[_Contribution] = []
    for match in _COMPILED.pattern.finditer(text):
        found.extend(_contributions_of(match.group(), match.lastgroup == "exact_case"))
    return tuple(found)


# Headings and service names repeat across thousands of facts; scan each distinct one once.
_scan_cached = lru_cache(maxsize=8192)(_scan)


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------

# Scores at or above this have confidence >= MIN_CONFIDENCE; comparing scores avoids exp().
_MIN_SCORE: Final = -CONFIDENCE_SCALE * math.log(1.0 - MIN_CONFIDENCE)
_CODE_RANK: Final = {
    certification: {
        code: rank
        for rank, code in enumerate(sorted(by_code, key=lambda c: tuple(map(int, c.split(".")))))
    }
    for certification, by_code in TASK_STATEMENT_LEXICONS.items()
}

type _TermKey = tuple[str, str, str]  # (certification, task statement, term or "category:…")


def _normalise_category(category: str | None) -> str | None:
    if not category:
        return None
    return category.strip().lower().replace("-", "_").replace(" ", "_")


def _collect_evidence(
    statement: str,
    category: str | None,
    heading_path: Sequence[str],
    service: str | None,
    sources: dict[_TermKey, str] | None = None,
) -> dict[_TermKey, float]:
    """Weighted evidence per (certification, task statement, term); each term counted once."""
    evidence: dict[_TermKey, float] = {}
    scanned = [(_scan(statement), 1.0, "statement")]
    nearest = len(heading_path) - 1
    scanned.extend(
        (
            _scan_cached(heading),
            HEADING_FACTOR if depth == nearest else ANCESTOR_HEADING_FACTOR,
            "heading",
        )
        for depth, heading in enumerate(heading_path)
    )
    if service:
        scanned.append((_scan_cached(service), SERVICE_FACTOR, "service"))
    for contributions, factor, source in scanned:
        for certification, code, term, weight in contributions:
            key = (certification, code, term)
            if weight * factor > evidence.get(key, 0.0):
                evidence[key] = weight * factor
                if sources is not None:
                    sources[key] = source
    for certification, by_code in CATEGORY_PRIORS.get(category or "", {}).items():
        for code, prior in by_code.items():
            key = (certification, code, f"category:{category}")
            evidence[key] = prior
            if sources is not None:
                sources[key] = "category"
    return evidence


def _confidence(score: float) -> float:
    return max(0.001, round(1.0 - math.exp(-score / CONFIDENCE_SCALE), 3))


def _select(evidence: Mapping[_TermKey, float], category: str | None) -> list[Tag]:
    scores: dict[str, dict[str, float]] = {}
    for (certification, code, _), weight in evidence.items():
        by_code = scores.setdefault(certification, {})
        by_code[code] = by_code.get(code, 0.0) + weight
    priors = CATEGORY_PRIORS.get(category or "", {})
    tags: list[Tag] = []
    for certification in CERTIFICATIONS:
        by_code = scores.get(certification)
        if not by_code:
            continue
        rank = _CODE_RANK[certification]
        ranked = sorted(by_code.items(), key=lambda item: (-item[1], rank[item[0]]))
        floor = max(_MIN_SCORE, RELATIVE_CUTOFF * ranked[0][1])
        kept = [item for item in ranked if item[1] >= floor][:MAX_TAGS_PER_CERTIFICATION]
        if not kept and certification in priors:
            kept = ranked[:1]  # a service-linked fact is always tagged for both exams
        tags.extend(Tag(certification, code, _confidence(score)) for code, score in kept)
    return tags


def matched_terms(text: str) -> list[str]:
    """The lexicon terms found in `text`, in order, each once (for debugging the lexicons)."""
    terms = (term for _, _, term, _ in _scan(text))
    return list(dict.fromkeys(terms))


def tag_fact(
    statement: str,
    *,
    category: str | None,
    heading_path: Sequence[str] = (),
    service: str | None = None,
) -> list[Tag]:
    """Task statements `statement` supports: SAA-C03 tags first, then SAP-C02, best first."""
    category = _normalise_category(category)
    return _select(_collect_evidence(statement, category, heading_path, service), category)


def explain(
    statement: str,
    *,
    category: str | None = None,
    heading_path: Sequence[str] = (),
    service: str | None = None,
) -> list[tuple[Tag, list[str]]]:
    """`tag_fact`'s tags, each with what fired: "KMS", "heading:encrypt*", "category:security"."""
    category = _normalise_category(category)
    sources: dict[_TermKey, str] = {}
    evidence = _collect_evidence(statement, category, heading_path, service, sources)
    explained: list[tuple[Tag, list[str]]] = []
    for tag in _select(evidence, category):
        fired = sorted(
            (
                (
                    weight,
                    term if sources[key] in ("statement", "category") else f"{sources[key]}:{term}",
                )
                for key, weight in evidence.items()
                if key[:2] == (tag.certification, tag.task_statement)
                for term in (key[2],)
            ),
            key=lambda item: -item[0],
        )
        explained.append((tag, [label for _, label in fired]))
    return explained

// The answer shapes the console reads (the AWS models' member names; timestamps are epoch seconds).

export interface Tag {
  Key: string;
  Value: string;
}

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  ScheduleExpression?: string;
  Duration?: string;
}

export interface SecretListEntry {
  ARN: string;
  Name: string;
  Description?: string;
  KmsKeyId?: string;
  RotationEnabled?: boolean;
  RotationLambdaARN?: string;
  RotationRules?: RotationRules;
  LastRotatedDate?: number;
  LastChangedDate?: number;
  LastAccessedDate?: number;
  DeletedDate?: number;
  NextRotationDate?: number;
  Tags?: Tag[];
  CreatedDate?: number;
}

export interface ListSecretsResponse {
  SecretList: SecretListEntry[];
  NextToken?: string;
}

export interface DescribeSecretResponse extends SecretListEntry {
  VersionIdsToStages?: Record<string, string[]>;
  PrimaryRegion?: string;
}

export interface SecretVersion {
  VersionId: string;
  VersionStages?: string[];
  CreatedDate?: number;
  LastAccessedDate?: number;
  KmsKeyIds?: string[];
}

export interface ListSecretVersionIdsResponse {
  Versions: SecretVersion[];
  NextToken?: string;
  ARN: string;
  Name: string;
}

export interface GetSecretValueResponse {
  ARN: string;
  Name: string;
  VersionId: string;
  SecretString?: string;
  SecretBinary?: string;
  VersionStages?: string[];
  CreatedDate?: number;
}

export interface RotationFunction {
  Name: string;
  Arn: string;
  Kind: string;
  Command?: string;
  Url?: string;
  Builtin?: string;
  Environment?: Record<string, string>;
  TimeoutSeconds: number;
  RoleArn?: string;
  Description?: string;
  CreatedDate?: number;
  LastModified?: number;
}

export interface KeyListEntry {
  KeyId: string;
  KeyArn: string;
}

export interface KeyMetadata {
  KeyId: string;
  Arn: string;
  Description?: string;
  Enabled: boolean;
  KeyState: string;
  KeyManager?: string;
  KeyUsage?: string;
  KeySpec?: string;
  CreationDate?: number;
  DeletionDate?: number;
}

export interface AliasEntry {
  AliasName: string;
  AliasArn?: string;
  TargetKeyId?: string;
}

export interface ParameterMetadata {
  Name: string;
  Type: string;
  Version?: number;
  LastModifiedDate?: number;
  LastModifiedUser?: string;
  Description?: string;
  Tier?: string;
  DataType?: string;
}

export interface Parameter {
  Name: string;
  Type: string;
  Value: string;
  Version: number;
  LastModifiedDate?: number;
  ARN?: string;
  DataType?: string;
}

export interface TrailEvent {
  EventId: string;
  EventName: string;
  ReadOnly?: string;
  AccessKeyId?: string;
  EventTime?: number;
  EventSource?: string;
  Username?: string;
  Resources?: { ResourceType?: string; ResourceName?: string }[];
  CloudTrailEvent?: string;
}

export interface LookupEventsResponse {
  Events: TrailEvent[];
  NextToken?: string;
}

export interface AuditVerification {
  Verified: boolean;
  Records: number;
  Digests: number;
  UnsignedTail: number;
  FirstBadSeq?: number;
  Message: string;
  PublicKey: string;
}

namespace Strongroom.Core.Events;

/// <summary>
/// A change operators may want pushed to them (a secret's AWSCURRENT moved, a rotation ended, a key was disabled …),
/// shaped like an EventBridge event's parts. Never holds a secret value: <see cref="Detail"/> names versions, ARNs,
/// outcomes and dates only.
/// </summary>
/// <param name="DetailType">EventBridge's <c>detail-type</c>, e.g. "Secrets Manager Secret Value Changed".</param>
/// <param name="Source">EventBridge's <c>source</c>: "strongroom.secretsmanager", "strongroom.kms" or "strongroom.ssm".</param>
/// <param name="Region">The region of the resource.</param>
/// <param name="Resources">ARNs of the resources the event is about (usually one).</param>
/// <param name="Detail">The event's <c>detail</c> object: string members only.</param>
public sealed record ServiceEvent(string DetailType, string Source, string Region, IReadOnlyList<string> Resources, IReadOnlyDictionary<string, string> Detail);

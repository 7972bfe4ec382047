namespace Strongroom.Core.Identity;

/// <summary>
/// One row of the IAM-entity table as stored: an entity (user, group, role, managed policy, session, rotation function
/// …) as its JSON document, and the row's integrity tag (<see cref="Crypto.RecordMac"/> over
/// <see cref="IamRecords.EntityContent"/>; null on rows written before issue #25 until the upgrade at start). Read it
/// through <see cref="IamRecords"/>, which verifies the tag.
/// </summary>
public sealed record IamEntityRow(IamEntityKind Kind, string Name, string Json, byte[]? Mac);

namespace Strongroom.Core.Secrets;

public sealed record RotationRules(long? AutomaticallyAfterDays, string? Duration, string? ScheduleExpression);
